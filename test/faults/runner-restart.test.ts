/**
 * Fault: the server crashes (immediate stop, then start: crash recovery) while a migration's
 * transaction is open. The run must end with exit 3 (the connection is lost; nothing of the
 * migration committed); after the restart the rerun completes, and every migration is applied
 * exactly once.
 */
import { describe, expect, it } from 'vitest';
import { balances, expectRerunCompletes, GATE_SQL, gatedRun, jsonOf, openGate } from './runner-support.js';
import { useOwnCluster } from './support.js';

const own = useOwnCluster({ durable: true });

describe('server restart mid-migration', () => {
  it('exits 3, the rerun after the restart completes, each migration applied once', async () => {
    const { url, fixture, first } = await gatedRun(own, 'flyway', [
      { name: 'first', sql: 'CREATE TABLE first (id int);' },
      { name: 'multiply', sql: `UPDATE accounts SET balance = balance * 100;\n${GATE_SQL}` },
      { name: 'third', sql: 'CREATE TABLE third (id int);' },
    ]);
    await own.cluster.kill();
    const result = await first.done;
    expect(result.code).toBe(3);
    expect(['DB_CONNECTION_LOST', 'LOCK_LOST']).toContain(jsonOf(result).error.code);
    await own.cluster.restart();

    expect(await balances(url)).toEqual([1, 2, 3]);
    expect(await fixture.history(url)).toEqual([fixture.ids[0]]);
    await openGate(url);
    await expectRerunCompletes(fixture, url, fixture.ids.slice(1));
  });
});
