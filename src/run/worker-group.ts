/**
 * What one backend shares with others and so cannot use concurrently with them: its runtime's one
 * worker where the runtime shares one (RuntimeDescriptor.sharedWorker), else nothing but itself.
 * The worker pool (isolated.ts) keys its processes by it, and the run's lanes (lanes.ts) never start
 * two tasks of one group at once.
 */
import { RUNTIMES } from '../backends/runtimes.js';
import type { BackendConfig } from '../config/config.js';

export function workerGroup(spec: Pick<BackendConfig, 'name' | 'runtime'>): string {
  return RUNTIMES[spec.runtime]?.sharedWorker ? `runtime:${spec.runtime}` : `backend:${spec.name}`;
}

/** Whether the group is one backend's own (its worker can end when that backend closes). */
export function isOwnGroup(group: string): boolean {
  return group.startsWith('backend:');
}
