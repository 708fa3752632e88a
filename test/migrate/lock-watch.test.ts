/**
 * The migration lock's watch on a real server: it notices a terminated lock connection at once,
 * and keys that are no longer granted in pg_locks at the next heartbeat; a lost lock is LOCK_LOST
 * (exit 3). The lock and work sessions turn the server's idle timeouts off for themselves.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isPgwardenError } from '../../src/errors/pgwarden-error.js';
import { acquireLocks, prepareLongSession, watchLock } from '../../src/migrate/lock.js';
import { useTestDatabase } from '../support/database.js';

const db = useTestDatabase();

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function lockSession(key: bigint) {
  const client = await db.connect();
  await acquireLocks({ client, keys: [key], waitMs: 1_000 });
  const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  return { client, pid };
}

describe('watchLock', () => {
  it('holds while the keys are granted to the lock session', async () => {
    const { client, pid } = await lockSession(9_100_001n);
    const watch = watchLock({ client, pid, keys: [9_100_001n], intervalMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watch.lost).toBeUndefined();
    expect(() => watch.assertHeld()).not.toThrow();
    watch.stop();
  });

  it('marks the lock lost when the server terminates the lock connection', async () => {
    const { client, pid } = await lockSession(9_100_002n);
    const watch = watchLock({ client, pid, keys: [9_100_002n], intervalMs: 10_000 });
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    await until(() => watch.lost !== undefined);
    expect(watch.lost).toContain('terminating connection due to administrator command');
    let error: unknown;
    try {
      watch.assertHeld();
    } catch (e) {
      error = e;
    }
    expect(isPgwardenError(error) && error.code).toBe('LOCK_LOST');
    expect(isPgwardenError(error) && error.exitCode).toBe(3);
    watch.stop();
  });

  it('marks the lock lost when pg_locks no longer shows a key granted to the lock session', async () => {
    const { client, pid } = await lockSession(9_100_003n);
    const watch = watchLock({ client, pid, keys: [9_100_003n], intervalMs: 50 });
    await client.query('SELECT pg_advisory_unlock(9100003)');
    await until(() => watch.lost !== undefined);
    expect(watch.lost).toBe(
      `the server no longer shows it held by the lock session (pid ${pid}) in pg_locks`,
    );
    watch.stop();
  });
});

describe('prepareLongSession', () => {
  it('turns off the idle timeouts the database sets for every session', async () => {
    const url = new URL(db.url);
    url.searchParams.set('options', '-c idle_session_timeout=1s -c idle_in_transaction_session_timeout=1s');
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await prepareLongSession(client, 15);
      const { rows } = await client.query(
        `SELECT current_setting('idle_session_timeout') AS a, current_setting('idle_in_transaction_session_timeout') AS b`,
      );
      expect(rows[0]).toEqual({ a: '0', b: '0' });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await client.end();
    }
  });
});
