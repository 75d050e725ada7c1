/**
 * How many backends work at once in `parity run`: at most `jobs` tasks (an open, a block's embedding,
 * a batch-invariance measurement, an evaluation) in flight, and never two tasks of one group at once.
 *
 * A group is what cannot be shared between two concurrent requests: one worker process (backends of a
 * runtime that share one, like one Chromium for every WebGPU backend), or one backend. Waiting tasks
 * start by priority (run gives each backend's tasks its start-order.ts rank), then in the order they
 * asked, so `jobs: 1` runs exactly one task after another.
 *
 * Why a limit at all: on a 2-core machine the backends are CPU-bound; more tasks than cores only share
 * the cores (and thread pools that spin, like ONNX Runtime's and ggml's, waste them). Why more than
 * one: a run spends much of its time where one task does not fill the cores — a Python interpreter
 * importing torch, a server starting, a single-threaded WebAssembly backend, the harness comparing.
 */
import { availableParallelism } from 'node:os';
import type { Isolation } from './sessions.js';

/**
 * `jobs` when neither the command line nor the config sets it: DEFAULT_MAX_JOBS (fewer on fewer cores)
 * in worker processes; 1 in this process (`"isolation": "none"`), where a synchronous backend would
 * hold the one thread anyway.
 */
export function defaultJobs(isolation: Isolation): number {
  return isolation === 'none' ? 1 : Math.max(1, Math.min(availableParallelism(), DEFAULT_MAX_JOBS));
}

/**
 * Left to themselves, backends start a thread per core (ONNX Runtime, PyTorch, ggml); with more than
 * one lane each gets its share instead (threadsPerBackend), so two lanes on two cores run two
 * one-thread backends, and neither waits on the other's Python import, server start-up or the
 * harness's own work. Measured on the 2-core AMD EPYC (README, "where a run's time goes"): 2 lanes
 * with a thread per core in each were 12% faster than 1, for 10% more CPU; with one thread each, 221 s
 * and 392 s of CPU against 308 s and 455 s for one lane. More lanes only oversubscribe the cores.
 */
export const DEFAULT_MAX_JOBS = 2;

/**
 * The CPU threads each backend gets when its config does not set `threads`: the cores divided among
 * the lanes, at least one. Left to themselves, ONNX Runtime, PyTorch, OpenVINO and ggml each start a
 * thread per core in every backend that runs at once, and the pools that spin while they wait burn
 * the core another lane needs. Measured on the 2-core AMD EPYC (README, "where a run's time goes"):
 * the real-model config at 2 jobs took 11% less CPU with one thread per backend. With one job:
 * undefined, each runtime's own default (ONNX Runtime counts physical cores, not logical ones).
 */
export function threadsPerBackend(jobs: number, cores = availableParallelism()): number | undefined {
  if (jobs <= 1) return undefined;
  return Math.max(1, Math.floor(cores / jobs));
}

export class Lanes {
  private running = 0;
  private readonly busyGroups = new Set<string>();
  /** Tasks not yet started, by priority (lower first), then in the order asked. */
  private readonly waiting: { group: string; priority: number; start: () => void }[] = [];

  constructor(readonly jobs: number) {
    if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`jobs must be a positive integer, got ${jobs}`);
  }

  /**
   * Runs `task` when a slot and its group are free; the slot is held until it settles. Of the tasks
   * waiting, a lower `priority` starts first; equal ones start in the order asked.
   */
  run<T>(group: string, task: () => Promise<T>, priority = 0): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let at = this.waiting.length;
      while (at > 0 && this.waiting[at - 1].priority > priority) at--;
      this.waiting.splice(at, 0, {
        group,
        priority,
        start: () => {
          // Through then(): a task that throws before its first await still releases its slot.
          Promise.resolve()
            .then(task)
            .then(resolve, reject)
            .finally(() => {
              this.running--;
              this.busyGroups.delete(group);
              this.dispatch();
            });
        },
      });
      this.dispatch();
    });
  }

  /** Starts every waiting task that may start now, first by priority then oldest; a task whose group is busy lets later ones pass. */
  private dispatch(): void {
    for (let k = 0; k < this.waiting.length && this.running < this.jobs; ) {
      const next = this.waiting[k];
      if (this.busyGroups.has(next.group)) {
        k++;
        continue;
      }
      this.waiting.splice(k, 1);
      this.running++;
      this.busyGroups.add(next.group);
      next.start();
    }
  }
}
