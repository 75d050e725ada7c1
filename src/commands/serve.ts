/**
 * `parity serve --backend NAME`: start the server an `http` backend's `serve` option describes, in
 * the foreground, for a user who wants it by hand (curl it, point another tool at it). Same command,
 * placeholders and health check as `parity run`; Ctrl-C (or SIGTERM) stops it the same way.
 */
import { HttpBackend } from '../backends/http/runner.js';
import { loadConfig, selectBackends } from '../config/config.js';
import { BackendError, InputError } from '../errors.js';

export interface ServeCommandOptions {
  config?: string;
  backend: string;
  port?: number;
  /** Print the server's output as it comes (default) or only when it dies. */
  logs: boolean;
  onReady: (line: string) => void;
  onOutput: (chunk: Buffer) => void;
}

/** Resolves when the server has stopped: after a signal (normal), or rejects when it died by itself. */
export async function serveBackend(options: ServeCommandOptions): Promise<void> {
  const config = loadConfig(options.config);
  const [spec] = selectBackends(config, [options.backend]);
  if (spec.runtime !== 'http' || spec.options.serve === undefined) {
    throw new InputError(`backend "${spec.name}" has no "serve" command (only "runtime": "http" backends with "serve" can be started by parity)`);
  }
  const backend = new HttpBackend(spec);
  const availability = await backend.availability();
  if (!availability.available) throw new InputError(`backend "${spec.name}" cannot start here: ${availability.reason}`);
  const stop = new Promise<'signal'>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve('signal'));
  });
  const started = await backend.serveOnly({ port: options.port, onOutput: options.logs ? options.onOutput : undefined });
  options.onReady(`${spec.name}: ${started.url} is ready (server pid ${started.pid}); Ctrl-C stops it\n`);
  const outcome = await Promise.race([stop, started.exited]);
  await backend.close();
  if (outcome !== 'signal') throw new BackendError(spec.name, outcome);
}
