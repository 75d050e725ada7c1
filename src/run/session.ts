/**
 * A backend opened once and asked for many blocks of texts — the unit `parity run` streams the
 * corpus through. Two implementations: in this process (in-process.ts) and in a worker process
 * (isolated.ts). Both report a backend that cannot run as skipped/error rather than throwing.
 */
import type { Matrix } from '../numeric/matrix.js';

export type OpenResult =
  | { status: 'ok'; environment: Record<string, unknown>; openMs: number }
  | { status: 'skipped' | 'error'; reason: string; environment: Record<string, unknown>; detail?: string };

export interface BackendSession {
  readonly name: string;
  open(deadline: number): Promise<OpenResult>;
  /** One block of texts; rejects with an Error whose message says what went wrong. */
  embed(texts: readonly string[], deadline: number, rows?: readonly number[]): Promise<Matrix>;
  environment(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export class DeadlineError extends Error {}

/** Rejects with DeadlineError at `deadline` (a performance.now() time); `onTimeout` may kill the work. */
export function beforeDeadline<T>(promise: Promise<T>, deadline: number, what: string, onTimeout?: () => void): Promise<T> {
  const ms = deadline - performance.now();
  // setTimeout fires at once for delays past 2^31-1 ms: treat those as no deadline.
  if (ms > 2 ** 31 - 1) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new DeadlineError(what));
    }, Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
