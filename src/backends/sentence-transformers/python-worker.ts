/**
 * One python/st_worker.py process: requests go in as JSON lines on its stdin, replies come back as
 * binary frames on its stdout (process/frames.ts). One request at a time. Supervised by
 * process/supervisor.ts: whatever happens to the process — it is killed, exits, crashes mid-batch,
 * or writes something that is not a frame — the request in flight rejects at once with what
 * happened and the last lines of its stderr, so a dead worker is an error and never a hang.
 */
import { spawn } from 'node:child_process';
import type { Frame, FrameHeader } from '../../process/frames.js';
import { frameTransport, Supervised, type ReplyVerdict } from '../../process/supervisor.js';

/** What a request's handler says after each frame. */
export type FrameVerdict = Exclude<ReplyVerdict, 'not-mine'>;

export class PythonWorker extends Supervised<object, Frame> {
  private busy = false;

  constructor(command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    super(child, frameTransport(child), { label: () => `Python worker${child.pid === undefined ? ` ${command}` : ` (pid ${child.pid})`}` });
  }

  /** Waits for frames until `onFrame` says done. `line` (a request) is written first when given. */
  override request(line: object | null, onFrame: (frame: Frame) => FrameVerdict): Promise<void> {
    if (this.busy && this.alive) return Promise.reject(new Error('internal: a request is already in flight on this Python worker'));
    this.busy = true;
    return super.request(line, onFrame).finally(() => {
      this.busy = false;
    });
  }

  /** Asks the worker to finish, then kills it after `graceMs`. */
  close(graceMs = 5000): Promise<void> {
    return this.stop({ op: 'close' }, graceMs);
  }
}

function describe(header: FrameHeader): string {
  return JSON.stringify(header.type);
}

/** What a freshly started worker said first: its environment, or why it could not load (`kind` "device": skip, not fail). */
export type WorkerStart = { ready: Record<string, unknown> } | { loadError: string; kind: string };

/**
 * Waits for the worker's first frame: "ready" with its environment, or the "error" of a failed load.
 * Rejects when the worker dies first or sends anything else. Every runtime on this worker calls it.
 */
export async function awaitReady(worker: PythonWorker): Promise<WorkerStart> {
  let start: WorkerStart | null = null;
  await worker.request(null, ({ header }) => {
    if (header.type === 'ready') start = { ready: (header.environment as Record<string, unknown>) ?? {} };
    else if (header.type === 'error') start = { loadError: `${String(header.message)}${lastTracebackLine(header.traceback)}`, kind: String(header.kind) };
    else throw new Error(`expected a "ready" frame, got ${JSON.stringify(header.type)}`);
    return 'done';
  });
  return start!;
}

/** " (at File …, line N)": where in Python an error frame's traceback ended, or "". */
export function lastTracebackLine(traceback: unknown): string {
  if (typeof traceback !== 'string') return '';
  const lines = traceback.trim().split('\n');
  const where = lines.filter((l) => l.trim().startsWith('File ')).pop()?.trim();
  return where ? ` (at ${where})` : '';
}
