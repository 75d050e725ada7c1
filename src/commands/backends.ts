/** `parity backends`: what the config names, whether each can run here, and why not. */
import { createBackends } from '../backends/registry.js';
import { RUNTIMES } from '../backends/runtimes.js';
import { loadConfig } from '../config/config.js';
import { describeCause } from '../errors.js';

export interface BackendAvailability {
  name: string;
  runtime: string;
  precision: string;
  available: boolean;
  reason: string | null;
  description: string;
}

export async function listBackends(configPath?: string): Promise<BackendAvailability[]> {
  const config = loadConfig(configPath);
  const backends = createBackends(config.backends);
  return Promise.all(
    config.backends.map(async (spec, i) => {
      let available = false;
      let reason: string | null = null;
      try {
        const a = await backends[i].availability();
        available = a.available;
        reason = a.available ? null : a.reason;
      } catch (error) {
        reason = `availability check failed: ${describeCause(error)}`;
      }
      return { name: spec.name, runtime: spec.runtime, precision: spec.precision, available, reason, description: RUNTIMES[spec.runtime].description };
    }),
  );
}
