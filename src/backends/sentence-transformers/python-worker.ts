/**
 * One python/st_worker.py process: requests go in as JSON lines on its stdin, replies come back as
 * binary frames on its stdout (frames.ts). One request at a time. Whatever happens to the process —
 * it is killed, exits, crashes mid-batch, or writes something that is not a frame — the request in
 * flight rejects at once with what happened and the last lines of its stderr, so a dead worker is an
 * error and never a hang.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FrameError, FrameReader, type Frame, type FrameHeader } from '../../process/frames.js';

/** What a request's handler says after each frame. */
export type FrameVerdict = 'more' | 'done';

interface InFlight {
  onFrame(frame: Frame): FrameVerdict;
  resolve(): void;
  reject(error: Error): void;
}

export class WorkerDied extends Error {}

const STDERR_TAIL_CHARS = 4000;

export class PythonWorker {
  readonly child: ChildProcess;
  private readonly reader = new FrameReader();
  private stderrTail = '';
  private inFlight: InFlight | null = null;
  private death: string | null = null;
  private readonly exited: Promise<void>;

  constructor(command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    // A write after the worker died raises EPIPE here; the exit handler reports the death itself.
    this.child.stdin!.on('error', () => undefined);
    this.child.once('error', (error: NodeJS.ErrnoException) => {
      this.fail(`cannot start ${command}: ${error.code === 'ENOENT' ? 'no such interpreter' : error.message}`);
    });
    // 'close', not 'exit': it comes after stdout is drained, so a last frame (a load error) is read first.
    this.child.once('close', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const pending = this.reader.pendingBytes ? ` (${this.reader.pendingBytes} bytes of an unfinished frame received)` : '';
      this.fail(`Python worker (pid ${this.child.pid}) ${how}${pending}${this.tail()}`);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.death === null;
  }

  /** Why the worker is gone, or null while it runs. */
  get deathReason(): string | null {
    return this.death;
  }

  /** "; stderr: last lines" or "" — the part of a message that explains a crash. */
  tail(lines = 4): string {
    const t = this.stderrTail.trim().split('\n').filter((l) => l.trim()).slice(-lines).join(' | ');
    return t ? `; stderr: ${t}` : '';
  }

  /** Waits for frames until `onFrame` says done. `line` (a request) is written first when given. */
  request(line: object | null, onFrame: (frame: Frame) => FrameVerdict): Promise<void> {
    if (this.death) return Promise.reject(new WorkerDied(this.death));
    if (this.inFlight) return Promise.reject(new Error('internal: a request is already in flight on this Python worker'));
    return new Promise<void>((resolve, reject) => {
      this.inFlight = { onFrame, resolve, reject };
      if (line) this.child.stdin!.write(JSON.stringify(line) + '\n');
    });
  }

  /** Asks the worker to finish, then kills it after `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      if (!this.death) this.child.stdin!.end(JSON.stringify({ op: 'close' }) + '\n');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.fail('Python worker was closed');
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.fail(`${(error as FrameError).message}${this.tail()}`);
      this.child.kill('SIGKILL');
      return;
    }
    for (const frame of frames) {
      const current = this.inFlight;
      if (!current) {
        this.fail(`unexpected ${describe(frame.header)} frame with no request in flight`);
        this.child.kill('SIGKILL');
        return;
      }
      let verdict: FrameVerdict;
      try {
        verdict = current.onFrame(frame);
      } catch (error) {
        this.inFlight = null;
        current.reject(error as Error);
        continue;
      }
      if (verdict === 'done') {
        this.inFlight = null;
        current.resolve();
      }
    }
  }

  private fail(reason: string): void {
    if (!this.death) this.death = reason;
    const current = this.inFlight;
    this.inFlight = null;
    current?.reject(new WorkerDied(this.death));
  }
}

function describe(header: FrameHeader): string {
  return JSON.stringify(header.type);
}
