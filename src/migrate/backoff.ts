/** Exponential backoff with jitter, and an abortable sleep. */
import { PgwardenError } from '../errors/pgwarden-error.js';

/** Delay before retry number `attempt` (from 0): base·2^attempt capped at `maxMs`, then 50–100 % of it. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new PgwardenError('INTERRUPTED', 'interrupted'));
      return;
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(new PgwardenError('INTERRUPTED', 'interrupted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
