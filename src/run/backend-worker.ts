/**
 * A child process that runs backends for `parity run`, so that a backend that segfaults, runs out of
 * memory or hangs takes only this process down: the parent records the error and goes on.
 * Backends of one runtime share a worker (one browser for all WebGPU backends, say).
 */
import { createBackends } from '../backends/registry.js';
import { embedWithBackend } from './embed-with-backend.js';
import { ModelContexts } from './model-context.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const contexts = new ModelContexts();
const send = (message: FromWorker) => process.send!(message);

process.on('message', async (message: ToWorker) => {
  if (message.type === 'exit') {
    process.disconnect();
    return;
  }
  const { spec } = message;
  injectFault(spec.name);
  try {
    const [backend] = createBackends([spec]);
    // The parent enforces the time limit by killing this process; no second timer here.
    const outcome = await embedWithBackend({
      backend,
      modelDir: spec.modelDir,
      texts: message.texts,
      batchSize: message.batchSize,
      timeoutMs: 2 ** 31 - 1,
      contexts,
    });
    if (outcome.status === 'ok') {
      const { rows, dim, data } = outcome.vectors;
      const environment = { ...outcome.environment, process: { isolated: true, pid: process.pid } };
      send({ type: 'result', name: spec.name, status: 'ok', rows, dim, data, environment, timing: outcome.timing });
    } else {
      const detail = outcome.status === 'error' && outcome.error instanceof Error ? outcome.error.stack : undefined;
      send({ type: 'result', name: spec.name, status: outcome.status, reason: outcome.reason, detail, environment: outcome.environment });
    }
  } catch (error) {
    send({ type: 'result', name: spec.name, status: 'error', reason: error instanceof Error ? error.message : String(error), environment: {} });
  }
});

/**
 * Fault injection for the isolation tests: PARITY_WORKER_FAULT="NAME:abort" (or :exit, :hang) makes
 * this worker die or hang when asked for backend NAME — the situations isolation exists for.
 */
function injectFault(name: string): void {
  const [target, kind] = (process.env.PARITY_WORKER_FAULT ?? '').split(':');
  if (target !== name) return;
  if (kind === 'abort') process.abort();
  if (kind === 'exit') process.exit(70);
  if (kind === 'hang') for (;;);
}

send({ type: 'ready' });
