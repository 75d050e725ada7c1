/**
 * Owns one server process for the `http` backend's `serve` option. It exists so that no server
 * outlives parity: parity's worker may be SIGKILLed (a timeoutMs, the OOM killer) and then runs no
 * cleanup at all — but its IPC channel to this guardian closes, and the guardian stops the server.
 *
 * The server runs in its own process group (detached), so stopping it reaches every process it
 * started, and a Ctrl-C in the terminal reaches parity, which stops it in order. Protocol on the IPC
 * channel: guardian → parent {type: "started", pid} and {type: "exited", code, signal};
 * parent → guardian {type: "stop", graceMs}. Server stdout/stderr go straight to the guardian's.
 *
 * argv: node guardian.js COMMAND ARG...
 */
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
const DEFAULT_GRACE_MS = 10_000;

const server = spawn(command, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
let exited = false;
let stopping = false;

const killGroup = (signal: NodeJS.Signals) => {
  try {
    process.kill(-server.pid!, signal); // the whole group: the server and anything it started
  } catch {
    /* already gone */
  }
};

function stop(graceMs: number): void {
  if (stopping || exited) return;
  stopping = true;
  killGroup('SIGTERM');
  setTimeout(() => killGroup('SIGKILL'), graceMs).unref();
}

const send = (message: object) => {
  if (process.connected) process.send!(message);
};

server.once('spawn', () => send({ type: 'started', pid: server.pid }));
server.once('error', (error) => {
  exited = true;
  send({ type: 'exited', code: null, signal: null, error: error.message });
  process.exit(1);
});
server.once('exit', (code, signal) => {
  exited = true;
  killGroup('SIGKILL'); // the server is gone; nothing it started may stay behind
  send({ type: 'exited', code, signal });
  if (process.connected) process.disconnect();
  process.exit(0);
});

process.on('message', (m: { type?: string; graceMs?: number }) => {
  if (m?.type === 'stop') stop(m.graceMs ?? DEFAULT_GRACE_MS);
});
// The parent is gone (exited, crashed or SIGKILLed): stop the server quickly, nobody will use it.
process.on('disconnect', () => stop(2_000));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(DEFAULT_GRACE_MS));
