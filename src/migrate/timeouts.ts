/** The runner's default timeouts (a module of its own: settings and deploy read it without loading the runner). */
import type { Timeouts } from './execute.js';

export const DEFAULT_TIMEOUTS: Timeouts & { lockWaitMs: number } = {
  lockTimeoutMs: 500,
  statementTimeoutMs: 0,
  retryBudgetMs: 5 * 60_000,
  lockWaitMs: 10 * 60_000,
};
