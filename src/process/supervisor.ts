/**
 * One way to supervise a child process, used by the isolated backend workers, the Python worker,
 * the bench's measurement processes and the `http` runtime's server: a bounded tail of what the
 * process printed, one `describeExit` for how it ended, and a request channel whose pending
 * requests fail at once, with those words and that tail, when the process dies. How messages
 * travel (IPC, JSON lines, binary frames) is a Transport plugged in; the supervision is the same.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { FrameReader, type Frame } from './frames.js';

/** How a process ended: its exit code or signal, or why it never started. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** spawn failure (ENOENT: no such program...). */
  error?: string;
}

/** "exited with code 1", "was killed by SIGKILL", "could not be started (spawn x ENOENT)". */
export function describeExit(exit: ProcessExit): string {
  if (exit.error) return `could not be started (${exit.error})`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

/** The last `maxChars` characters a process printed: its own words on why it died, at bounded memory. */
export class OutputTail {
  private text = '';

  constructor(private readonly maxChars: number) {}

  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.maxChars);
  }

  /** The last `n` non-blank lines, terminal colour codes removed. */
  lines(n: number): string[] {
    return this.text
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l.trim())
      .slice(-n);
  }
}

/** How requests reach a child and replies come back. */
export interface Transport<Out, In> {
  send(message: Out): void;
  /** Starts delivering replies; `broken` when the stream is not the protocol (the process is then killed). */
  listen(deliver: (reply: In) => void, broken: (why: string) => void): void;
  /** Said in the death message when the process died mid-message (bytes of an unfinished frame). */
  unfinished?(): string;
}

/** Node's IPC channel (fork with an 'ipc' stdio slot); `advanced` serialization carries typed arrays. */
export function ipcTransport<Out, In>(child: ChildProcess): Transport<Out, In> {
  return {
    send: (message) => child.send(message as object),
    listen: (deliver) => child.on('message', (m) => deliver(m as In)),
  };
}

/** JSON lines both ways on stdin/stdout; stdout lines that are not JSON (a library's print) are skipped. */
export function jsonLinesTransport<Out, In>(child: ChildProcess): Transport<Out, In> {
  return {
    send: (message) => child.stdin!.write(JSON.stringify(message) + '\n'),
    listen: (deliver) =>
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let reply: In;
        try {
          reply = JSON.parse(line) as In;
        } catch {
          return;
        }
        deliver(reply);
      }),
  };
}

/** JSON lines in on stdin, binary frames (frames.ts) out on stdout; garbage on stdout breaks the stream. */
export function frameTransport<Out>(child: ChildProcess): Transport<Out, Frame> {
  const reader = new FrameReader();
  return {
    send: (message) => child.stdin!.write(JSON.stringify(message) + '\n'),
    listen: (deliver, broken) =>
      child.stdout!.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = reader.push(chunk);
        } catch (error) {
          broken((error as Error).message);
          return;
        }
        for (const frame of frames) deliver(frame);
      }),
    unfinished: () => (reader.pendingBytes ? ` (${reader.pendingBytes} bytes of an unfinished frame received)` : ''),
  };
}

/** What a request's handler says of each reply: it needs more, it is complete, or it belongs to another request. */
export type ReplyVerdict = 'more' | 'done' | 'not-mine';

interface Pending<In> {
  accept(reply: In): ReplyVerdict;
  resolve(): void;
  reject(error: Error): void;
}

export interface SupervisorOptions {
  /** Names the process in messages, e.g. "Python worker (pid 123)"; asked when the message is made. */
  label: () => string;
  /** Characters of output kept; default 4000. */
  tailChars?: number;
  /** Lines of the tail a death message quotes; default 4. */
  tailLines?: number;
  /** Also keep stdout in the tail (a process whose stdout is not the transport). */
  tailStdout?: boolean;
  /** A reply no request accepts: 'ignore' it, or treat it as a broken protocol ('fatal', the default). */
  strays?: 'ignore' | 'fatal';
}

/** The error a pending request gets when its process is gone. */
export class ProcessDied extends Error {}

/**
 * A child process and its request channel. Every reply goes to the first pending request that
 * accepts it; when the process exits (or cannot start, or breaks the protocol), every pending and
 * every later request rejects at once with "<label> <describeExit>; its last output: ...".
 */
export class Supervised<Out, In> {
  readonly tail: OutputTail;
  exit: ProcessExit | null = null;
  /** Resolves once the process has ended and its pipes are drained. */
  readonly ended: Promise<ProcessExit>;
  private death: string | null = null;
  private pending: Pending<In>[] = [];

  constructor(
    readonly child: ChildProcess,
    private readonly transport: Transport<Out, In>,
    private readonly options: SupervisorOptions,
  ) {
    this.tail = new OutputTail(options.tailChars ?? 4000);
    child.stderr?.on('data', (chunk: Buffer) => this.tail.push(chunk));
    if (options.tailStdout) child.stdout?.on('data', (chunk: Buffer) => this.tail.push(chunk));
    // A write after the process died raises EPIPE here; the close handler reports the death itself.
    child.stdin?.on('error', () => undefined);
    transport.listen(
      (reply) => this.deliver(reply),
      (why) => this.break(why),
    );
    this.ended = new Promise((resolve) => {
      const end = (exit: ProcessExit) => {
        if (this.exit) return;
        this.exit = exit;
        this.fail(`${options.label()} ${describeExit(exit)}${transport.unfinished?.() ?? ''}${this.tailText()}`);
        resolve(exit);
      };
      // 'close', not 'exit': it comes after stdout is drained, so a last reply (a load error) is read first.
      child.once('close', (code, signal) => end({ code, signal }));
      child.once('error', (error) => {
        // Only a spawn failure ends the process here; a failed kill() or send() leaves it running.
        if (child.pid === undefined) end({ code: null, signal: null, error: error.message });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.death === null;
  }

  /** Why the process is gone (or its channel broken), or null while it serves. */
  get deathReason(): string | null {
    return this.death;
  }

  /** "; its last output: a | b" or "" — the part of a message that explains a crash. */
  tailText(): string {
    const lines = this.tail.lines(this.options.tailLines ?? 4);
    return lines.length ? `; its last output: ${lines.join(' | ')}` : '';
  }

  /**
   * Sends `message` (none: wait for what the process says unasked, e.g. "ready") and resolves once
   * `accept` says 'done'; rejects when `accept` throws or the process dies first.
   */
  request(message: Out | null, accept: (reply: In) => ReplyVerdict): Promise<void> {
    if (this.death !== null) return Promise.reject(new ProcessDied(this.death));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ accept, resolve, reject });
      if (message !== null) this.transport.send(message);
    });
  }

  /** One reply to one message: the convenience form of request(). */
  async ask(message: Out, match: (reply: In) => boolean = () => true): Promise<In> {
    let answer: In | undefined;
    await this.request(message, (reply) => {
      if (!match(reply)) return 'not-mine';
      answer = reply;
      return 'done';
    });
    return answer as In;
  }

  kill(): void {
    if (this.exit === null) this.child.kill('SIGKILL');
  }

  /** Says `goodbye` (when given), closes stdin, waits for the end, and kills the process after `graceMs`. */
  async stop(goodbye: Out | null, graceMs = 5000): Promise<void> {
    if (this.exit === null && this.child.pid !== undefined) {
      if (this.death === null && goodbye !== null) {
        try {
          this.transport.send(goodbye);
        } catch {
          /* the channel is already gone; the kill below ends it */
        }
      }
      this.child.stdin?.end();
      const timer = setTimeout(() => this.kill(), graceMs);
      await this.ended;
      clearTimeout(timer);
    }
    this.fail(`${this.options.label()} was stopped`);
  }

  private deliver(reply: In): void {
    for (const p of this.pending) {
      let verdict: ReplyVerdict;
      try {
        verdict = p.accept(reply);
      } catch (error) {
        this.pending = this.pending.filter((q) => q !== p);
        p.reject(error as Error);
        return;
      }
      if (verdict === 'not-mine') continue;
      if (verdict === 'done') {
        this.pending = this.pending.filter((q) => q !== p);
        p.resolve();
      }
      return;
    }
    if (this.options.strays !== 'ignore') this.break(`unexpected reply with no request waiting for it: ${JSON.stringify(summary(reply)).slice(0, 200)}`);
  }

  /** The protocol is broken: nothing more it says can be trusted. */
  private break(why: string): void {
    this.fail(`${this.options.label()}: ${why}${this.tailText()}`);
    this.kill();
  }

  private fail(reason: string): void {
    this.death ??= reason;
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(new ProcessDied(this.death));
  }
}

/** A frame's header, or the reply itself, for a message about it. */
function summary(reply: unknown): unknown {
  return typeof reply === 'object' && reply !== null && 'header' in reply ? (reply as Frame).header : reply;
}
