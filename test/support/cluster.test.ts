/** The disposable cluster the suite (and later the fault tests) stand on. */
import { existsSync, statSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../../src/testing/disposable-cluster.js';

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('startCluster', () => {
  it('boots a private cluster that can be killed, restarted and removed', async () => {
    const cluster = await startCluster({ durable: true });
    try {
      expect(cluster.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
      expect((await query(cluster.url, 'SHOW unix_socket_directories'))[0].unix_socket_directories).toBe(
        cluster.socketDir,
      );
      if (process.getuid?.() === 0) {
        // PostgreSQL refuses to run as root: the server runs as postgres
        expect(statSync(cluster.dataDir).uid).not.toBe(0);
      }
      // password authentication over TCP: a wrong password is refused
      const wrong = new URL(cluster.url);
      wrong.password = 'nope';
      await expect(query(wrong.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);

      await query(cluster.url, 'CREATE TABLE survives (id int); INSERT INTO survives VALUES (1)');
      await cluster.kill();
      await expect(query(cluster.url, 'SELECT 1')).rejects.toThrow();
      await cluster.restart();
      expect(await query(cluster.url, 'SELECT count(*)::int AS n FROM survives')).toEqual([{ n: 1 }]);
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dataDir)).toBe(false);
  });
});
