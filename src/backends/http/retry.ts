/** Waiting between attempts: exponential backoff, or the server's Retry-After, both capped. */

export interface RetryTiming {
  /** First backoff; doubles each attempt. */
  backoffBaseMs: number;
  /** Largest exponential backoff. */
  backoffCapMs: number;
  /** Largest wait a Retry-After header can ask for (a server saying "come back in an hour" must not hang CI). */
  retryAfterCapMs: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = { backoffBaseMs: 500, backoffCapMs: 8_000, retryAfterCapMs: 60_000 };

/** Wait before attempt `failedAttempts + 1`, given `failedAttempts` >= 1 attempts have failed. */
export function backoffMs(failedAttempts: number, timing: RetryTiming): number {
  return Math.min(timing.backoffCapMs, timing.backoffBaseMs * 2 ** Math.max(0, failedAttempts - 1));
}

/** Retry-After as milliseconds (delta-seconds or an HTTP-date), capped; null when absent or unreadable. */
export function retryAfterMs(header: string | null, timing: RetryTiming, now = Date.now()): number | null {
  if (header === null) return null;
  const text = header.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return null;
    ms = date - now;
  }
  return Math.min(timing.retryAfterCapMs, Math.max(0, ms));
}

/** setTimeout as a promise that rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
