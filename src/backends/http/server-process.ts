/**
 * A server started for one run (the `http` backend's `serve` option): a free port on 127.0.0.1,
 * start through the guardian (guardian.ts: no orphan even when parity is SIGKILLed), wait until the
 * ready path answers 200, and stop with SIGTERM then SIGKILL. Everything the server prints is kept
 * as a tail, because "it never got healthy" or "it died" means nothing without the server's own words.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { BackendError } from '../../errors.js';
import { compiledScript } from '../../io/compiled-script.js';
import { describeExit, OutputTail, type ProcessExit } from '../../process/supervisor.js';
import { sleep } from './retry.js';

export const LOOPBACK = '127.0.0.1';
const TAIL_CHARS = 8_000;
/**
 * Between two health checks while a server starts. Each check is one loopback connect (refused until
 * the server listens), so polling often costs nothing measurable, and the open ends at most this long
 * after the server is ready (250 ms before: 125 ms lost on average per served backend).
 */
const POLL_MS = 50;

/** How the server ended, as its guardian reports it. */
export type ServerExit = ProcessExit;

export interface StartRequest {
  /** Backend name, for messages. */
  backend: string;
  argv: string[];
  env: Record<string, string>;
  readyUrl: string;
  startupTimeoutMs: number;
  stopTimeoutMs: number;
  /** Aborting it (the backend closed) stops the start-up. */
  signal?: AbortSignal;
  /** Everything the server prints, as it comes (`parity serve` shows it); the tail is kept either way. */
  onOutput?: (chunk: Buffer) => void;
}

/** The compiled guardian (a child process needs JavaScript, also when this module runs from sources). */
export function guardianScript(): string {
  const found = compiledScript(import.meta.url, 'guardian.js');
  if (!found) throw new Error('the compiled server guardian (dist/backends/http/guardian.js) is missing; run `npm run build`');
  return found;
}

/** A port nobody listens on right now (the OS picks it); the server binds it a moment later. */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export class ServerProcess {
  /** pid of the server itself (not the guardian); null until it has started. */
  pid: number | null = null;
  exit: ServerExit | null = null;
  readonly exited: Promise<ServerExit>;
  readonly startedAt = Date.now();
  readyMs: number | null = null;
  private readonly output = new OutputTail(TAIL_CHARS);
  private stopped = false;

  private constructor(
    private readonly req: StartRequest,
    private readonly guardian: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk);
      req.onOutput?.(chunk);
    };
    guardian.stdout?.on('data', keep);
    guardian.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      guardian.on('message', (m: { type: string; pid?: number } & ServerExit) => {
        if (m.type === 'started') this.pid = m.pid ?? null;
        if (m.type === 'exited') {
          this.exit ??= { code: m.code, signal: m.signal, ...(m.error ? { error: m.error } : {}) };
          resolve(this.exit);
        }
      });
      // A guardian that dies without a word (killed by someone) still ends the server's life for us.
      // 'close' comes after its pipes are drained; the IPC message, if any, has arrived by then.
      guardian.once('close', (code, signal) => {
        setImmediate(() => {
          this.exit ??= { code, signal, error: `its guardian process ${describeExit({ code, signal })}` };
          resolve(this.exit);
        });
      });
    });
  }

  /** Starts the server and resolves once `readyUrl` answers 200; throws BackendError otherwise (server stopped). */
  static async start(req: StartRequest): Promise<ServerProcess> {
    const guardian = fork(guardianScript(), req.argv, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [], // not the parent's flags (--input-type, a test runner's loaders): the guardian is plain JS
      env: { ...process.env, ...req.env },
    });
    const server = new ServerProcess(req, guardian);
    try {
      await server.waitReady();
      return server;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** The last `lines` lines the server printed (stdout and stderr), trimmed. */
  tail(lines = 15): string {
    return this.output.lines(lines).join('\n');
  }

  /** "server `python …` exited with code 1; its last output: …", for error messages. */
  deathMessage(): string {
    const tail = this.tail();
    return `server ${this.exit ? describeExit(this.exit) : 'stopped'}${tail ? `; its last output:\n${tail}` : ' (it printed nothing)'}`;
  }

  private async waitReady(): Promise<void> {
    const started = performance.now();
    const deadline = started + this.req.startupTimeoutMs;
    const { backend, readyUrl } = this.req;
    let lastProblem = 'no answer yet';
    while (performance.now() < deadline) {
      if (this.req.signal?.aborted) throw new BackendError(backend, 'server start-up cancelled (backend closed)');
      if (this.exit) throw new BackendError(backend, `server never got healthy: it ${this.deathMessage().replace(/^server /, '')}`);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.min(5_000, Math.max(1, deadline - performance.now())));
      try {
        const res = await fetch(readyUrl, { signal: controller.signal });
        await res.arrayBuffer();
        if (res.ok) {
          this.readyMs = performance.now() - started;
          return;
        }
        lastProblem = `GET ${readyUrl} answered HTTP ${res.status}`;
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        lastProblem = `GET ${readyUrl}: ${cause?.code ?? (error as Error).message}`;
      } finally {
        clearTimeout(timer);
      }
      // Wake at once when the server dies instead of polling on for the whole start-up time.
      await Promise.race([sleep(POLL_MS, new AbortController().signal), this.exited]);
    }
    const tail = this.tail();
    throw new BackendError(
      backend,
      `server not healthy within ${this.req.startupTimeoutMs} ms ("serve.startupTimeoutMs"; last: ${lastProblem})` +
        (tail ? `; its last output:\n${tail}` : '; it printed nothing'),
    );
  }

  /** SIGTERM to the server's process group, SIGKILL after stopTimeoutMs; resolves when it is gone. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (!this.exit && this.guardian.connected) this.guardian.send({ type: 'stop', graceMs: this.req.stopTimeoutMs });
      else if (!this.exit) this.guardian.kill('SIGTERM');
    }
    // The guardian SIGKILLs after the grace period; this is only a backstop if it cannot.
    const backstop = setTimeout(() => {
      if (this.pid !== null) {
        try {
          process.kill(-this.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      this.guardian.kill('SIGKILL');
    }, this.req.stopTimeoutMs + 5_000);
    await this.exited;
    clearTimeout(backstop);
  }

  get stopRequested(): boolean {
    return this.stopped;
  }
}
