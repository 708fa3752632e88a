/**
 * The deploy's health check, after migrating and before the app starts: an HTTP URL that must
 * answer with the expected status, or a command (argument array, no shell) that must exit 0 —
 * retried until it passes or the time is up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { run } from '../util/process.js';

export interface HealthCheck {
  url?: string | undefined;
  status?: number | undefined;
  command?: string[] | undefined;
  /** per attempt, ms (default 5000) */
  timeout?: number | undefined;
  /** keep trying this long, ms (default 30000) */
  within?: number | undefined;
}

export async function runHealthCheck(check: HealthCheck, signal?: AbortSignal): Promise<string> {
  const timeout = check.timeout ?? 5000;
  const deadline = Date.now() + (check.within ?? 30_000);
  let last = '';
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new PgwardenError('INTERRUPTED', 'interrupted during the health check');
    const started = Date.now();
    const outcome = check.url
      ? await probeUrl(check.url, check.status ?? 200, timeout)
      : await probeCommand(check.command!, timeout);
    if (outcome.ok)
      return `${outcome.what} in ${Date.now() - started} ms${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
    last = outcome.what;
    if (Date.now() + 1000 > deadline) break;
    await sleep(1000, undefined, signal ? { signal } : {}).catch(() => undefined);
  }
  throw new PgwardenError('HEALTH_CHECK_FAILED', `the health check failed: ${last}`, {
    hint: 'The migrations are applied; the app was not started. Fix what the check reports and deploy again (nothing is pending now, so it starts at once).',
  });
}

async function probeUrl(
  url: string,
  expected: number,
  timeout: number,
): Promise<{ ok: boolean; what: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeout), redirect: 'manual' });
    await response.body?.cancel().catch(() => undefined);
    return {
      ok: response.status === expected,
      what: `${safeUrl(url)} answered ${response.status}${response.status === expected ? '' : `, expected ${expected}`}`,
    };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return {
      ok: false,
      what: `${safeUrl(url)}: ${e.name === 'TimeoutError' ? `no answer within ${timeout} ms` : (e.cause?.code ?? e.message)}`,
    };
  }
}

async function probeCommand(command: string[], timeout: number): Promise<{ ok: boolean; what: string }> {
  const [program, ...args] = command;
  try {
    const result = await run(program!, args, { timeoutMs: timeout });
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-1)[0] ?? '';
    return {
      ok: result.code === 0,
      what:
        result.code === 0
          ? `${program} exited 0`
          : `${program} ${result.signal ? `was stopped (${result.signal}, timeout ${timeout} ms)` : `exited ${result.code}`}${tail ? `: ${tail}` : ''}`,
    };
  } catch (error) {
    return {
      ok: false,
      what: `${program}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : (error as Error).message}`,
    };
  }
}

/** The URL without user info (a health URL may carry a token). */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}
