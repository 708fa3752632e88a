/**
 * The health check before the app starts — after migrating, and on a restart with nothing pending
 * too (a restart loop must not start an unhealthy app without saying so). A failure is recorded
 * and stops the deploy; the app is not started.
 */
import type pg from 'pg';
import type { DeployRun } from '../context.js';
import { runHealthCheck } from '../health.js';

export async function healthStep(run: DeployRun, client?: pg.Client): Promise<void> {
  const check = run.options.healthCheck;
  if (!check) return;
  const t = Date.now();
  try {
    run.step('health', 'ok', await runHealthCheck(check, run.options.signal), t);
  } catch (error) {
    run.step('health', 'fail', (error as Error).message, t);
    await run.record('failed', { error: (error as Error).message, client });
    throw error;
  }
}
