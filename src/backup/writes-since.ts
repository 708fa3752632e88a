/**
 * Proof, not statistics, that nothing wrote to a database since a backup's snapshot — evidence
 * that cannot lag, read while writes are blocked:
 * - every row version carries the transaction that wrote it (`xmin`); a row whose writer is not
 *   visible in the backup's transaction snapshot (`txid_current_snapshot()` taken with the dump)
 *   was inserted or updated after the backup;
 * - a row of the backup that was deleted or updated since is no longer visible: each table must
 *   still hold exactly the backup's rows written before the snapshot;
 * - writes by the caller's own transactions (a deploy's migrations) are told apart by their ids.
 * The cumulative statistics (`n_tup_ins`…) are not used: they lag by up to the stats interval.
 * Full scans: the caller is about to restore the whole database anyway.
 */
import type pg from 'pg';
import { displayQualified, quoteQualified } from '../sql/quote.js';
import type { TableRows } from './copy-counter.js';
import { DUMPED_TABLES_SQL } from './snapshot.js';

export interface WritesSinceOptions {
  /** `txid_current_snapshot()` of the backup, as text (`xmin:xmax:xip,…`); null when not recorded */
  snapshot: string | null;
  /** the backup's tables and their row counts in that snapshot */
  tables: readonly TableRows[];
  /**
   * top-level transaction ids whose writes are not the application's: a deploy's migrations,
   * their history rows and pgwarden's records (the runner collects them)
   */
  ownTransactionIds?: readonly string[];
}

export interface WritesSince {
  /** true only when it is proven that no one but the caller's own transactions wrote since */
  proven: boolean;
  /** what was found, in words, one line per table (empty when proven) */
  findings: string[];
}

/** The epoch-extended id of a row's `xmin`, relative to the current transaction id horizon. */
const FULL_XMIN = (alias: string) =>
  `((s.ref >> 32) - CASE WHEN ${alias}.xmin::text::bigint > (s.ref & 4294967295) THEN 1 ELSE 0 END) * 4294967296 + ${alias}.xmin::text::bigint`;

const SNAPSHOT_CTE = `s AS (SELECT $1::txid_snapshot AS snap, $2::bigint[] AS own,
                                txid_snapshot_xmax(txid_current_snapshot()) AS ref)`;

export async function writesSince(client: pg.Client, options: WritesSinceOptions): Promise<WritesSince> {
  if (!options.snapshot) {
    return {
      proven: false,
      findings: ['the backup does not record its transaction snapshot (it was taken by an older pgwarden)'],
    };
  }
  const own = (options.ownTransactionIds ?? []).map(String);
  const inBackup = new Map(options.tables.map((t) => [`${t.schema}\0${t.name}`, t.rows]));
  const findings: string[] = [];
  const { rows: tables } = await client.query<{ schema: string; name: string }>(DUMPED_TABLES_SQL);
  for (const table of tables) {
    const key = `${table.schema}\0${table.name}`;
    if (table.schema === 'pgwarden') continue;
    const name = quoteQualified(table.schema, table.name);
    const { rows } = await client.query<{ before: string; foreign: string; own: string }>(
      `WITH ${SNAPSHOT_CTE},
            v AS (SELECT ${FULL_XMIN('t')} AS x FROM ${name} t, s)
       SELECT count(*) FILTER (WHERE txid_visible_in_snapshot(v.x, s.snap))::text AS before,
              count(*) FILTER (WHERE NOT txid_visible_in_snapshot(v.x, s.snap) AND v.x <> ALL (s.own))::text AS foreign,
              count(*) FILTER (WHERE NOT txid_visible_in_snapshot(v.x, s.snap) AND v.x = ANY (s.own))::text AS own
         FROM v, s`,
      [options.snapshot, own],
    );
    const before = Number(rows[0]!.before);
    const foreign = Number(rows[0]!.foreign);
    const ours = Number(rows[0]!.own);
    const expected = inBackup.get(key);
    const display = displayQualified(table.schema, table.name);
    if (foreign > 0) {
      findings.push(
        expected === undefined
          ? `${display}: not in the backup, and ${foreign} row(s) in it were written by other transactions`
          : `${display}: ${foreign} row(s) inserted or updated since the backup by other transactions`,
      );
    }
    if (expected !== undefined && before !== expected) {
      findings.push(
        `${display}: ${expected - before} of the backup's ${expected} row(s) were deleted or updated since${ours > 0 ? ' (this table was also changed by the migrations, so who did it cannot be told)' : ''}`,
      );
    }
  }
  const { rows: objects } = await client.query<{ n: string }>(
    `WITH ${SNAPSHOT_CTE}
     SELECT count(*)::text AS n FROM pg_largeobject_metadata m, s
      WHERE NOT txid_visible_in_snapshot(${FULL_XMIN('m')}, s.snap) AND ${FULL_XMIN('m')} <> ALL (s.own)`,
    [options.snapshot, own],
  );
  if (Number(objects[0]!.n) > 0)
    findings.push(`${objects[0]!.n} large object(s) created or changed since the backup`);
  return { proven: findings.length === 0, findings };
}
