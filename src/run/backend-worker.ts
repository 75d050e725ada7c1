/**
 * A child process that runs backends for `parity run`, so that a backend that segfaults, runs out of
 * memory or hangs takes only this process down: the parent records the error and goes on.
 * Backends of one runtime share a worker (one browser for all WebGPU backends, say); each stays open
 * for the whole run and embeds the corpus block by block.
 */
import { InProcessSession } from './in-process.js';
import { ModelContexts } from '../tokenize/model-context.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const contexts = new ModelContexts();
const sessions = new Map<string, InProcessSession>();
const send = (message: FromWorker) => process.send!(message);
const NO_DEADLINE = Number.MAX_SAFE_INTEGER; // the parent enforces time limits by killing this process

process.on('message', async (message: ToWorker) => {
  if (message.type === 'exit') {
    await Promise.all([...sessions.values()].map((s) => s.close()));
    process.disconnect();
    return;
  }
  const { id } = message;
  try {
    switch (message.type) {
      case 'open': {
        injectFault(message.spec.name);
        const session = InProcessSession.fromSpec(message.spec, message.batchSize, contexts, message.threads);
        sessions.set(message.spec.name, session);
        const result = await session.open(NO_DEADLINE);
        if (result.status === 'ok') result.environment = { ...result.environment, process: { isolated: true, pid: process.pid } };
        send({ type: 'opened', id, result });
        break;
      }
      case 'embed': {
        injectFault(message.name, 'embed');
        const m = await session(message.name).embed(message.texts, NO_DEADLINE, message.rows);
        send({ type: 'embedded', id, rows: m.rows, dim: m.dim, data: m.data });
        break;
      }
      case 'environment':
        send({ type: 'environment', id, environment: await session(message.name).environment() });
        break;
      case 'close':
        await session(message.name).close();
        sessions.delete(message.name);
        send({ type: 'closed', id });
        break;
    }
  } catch (error) {
    send({ type: 'failed', id, reason: error instanceof Error ? error.message : String(error), detail: error instanceof Error ? error.stack : undefined });
  }
});

function session(name: string): InProcessSession {
  const s = sessions.get(name);
  if (!s) throw new Error(`backend ${name} is not open in this worker`);
  return s;
}

/**
 * Fault injection for the isolation tests: PARITY_WORKER_FAULT="NAME:abort" (or :exit, :hang) makes
 * this worker die or hang when backend NAME embeds — the situations isolation exists for.
 */
function injectFault(name: string, phase: 'open' | 'embed' = 'open'): void {
  const [target, kind, when = 'embed'] = (process.env.PARITY_WORKER_FAULT ?? '').split(':');
  if (target !== name || when !== phase) return;
  if (kind === 'abort') process.abort();
  if (kind === 'exit') process.exit(70);
  if (kind === 'hang') for (;;);
}

send({ type: 'ready' });
