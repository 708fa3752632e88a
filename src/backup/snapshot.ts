/**
 * The snapshot a backup is taken in: one REPEATABLE READ transaction exports it
 * (`pg_export_snapshot()`), pg_dump imports it (`--snapshot`), and the same transaction counts the
 * rows of every table pg_dump will dump — so the manifest's counts are exactly the archive's.
 * The exporting transaction stays open until the dump has finished. It also records the
 * snapshot's transaction ids (`txid_current_snapshot()`): a row whose xmin is not visible in it was
 * written after the backup.
 */
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { displayQualified, quoteQualified } from '../sql/quote.js';
import type { TableRows } from './copy-counter.js';

export interface DatabaseIdentity {
  name: string;
  oid: number;
  systemIdentifier: string | null;
  sizeBytes: number;
  serverVersion: string;
  serverVersionNum: number;
}

export interface SnapshotFacts {
  id: string;
  /** txid_current_snapshot()::text, e.g. "1234:1240:1236,1238" (xmin:xmax:ids in progress) */
  txid: string;
  walLsn: string | null;
  writes: number;
  statsReset: string | null;
}

/**
 * The tables whose data pg_dump writes as COPY blocks: ordinary tables (partitions included, the
 * partitioned parents hold no rows) outside the system schemas, not temporary, not owned by an
 * extension. Ordered by schema and name.
 */
export const DUMPED_TABLES_SQL = `
  SELECT n.nspname AS schema, c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind = 'r' AND c.relpersistence <> 't'
     AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
     AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
   ORDER BY 1, 2`;

export async function databaseIdentity(client: pg.Client): Promise<DatabaseIdentity> {
  const { rows } = await client.query<{
    name: string;
    oid: number;
    size: string;
    version: string;
    num: string;
    may_read_control: boolean;
  }>(`SELECT current_database() AS name, d.oid::int AS oid, pg_database_size(d.oid)::text AS size,
             current_setting('server_version') AS version, current_setting('server_version_num') AS num,
             has_function_privilege('pg_control_system()', 'EXECUTE') AS may_read_control
        FROM pg_database d WHERE d.datname = current_database()`);
  const row = rows[0]!;
  let systemIdentifier: string | null = null;
  if (row.may_read_control) {
    const control = await client.query<{ id: string }>(
      'SELECT system_identifier::text AS id FROM pg_control_system()',
    );
    systemIdentifier = control.rows[0]?.id ?? null;
  }
  return {
    name: row.name,
    oid: row.oid,
    systemIdentifier,
    sizeBytes: Number(row.size),
    serverVersion: row.version,
    serverVersionNum: Number(row.num),
  };
}

/**
 * Rows written (inserted, updated, deleted) in the application's tables, from the statistics: a
 * counter that only grows. pgwarden's own records (schema pgwarden) are left out.
 */
export const WRITES_SQL = `
  SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::float8 AS writes,
         (SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()) AS stats_reset
    FROM pg_stat_user_tables WHERE schemaname <> 'pgwarden'`;

export interface ExportedSnapshot {
  facts: SnapshotFacts;
  tables: Array<{ schema: string; name: string }>;
  /** Counts the rows of every table in the snapshot (one table at a time). */
  count(signal?: AbortSignal): Promise<TableRows[]>;
  /** Ends the exporting transaction; the snapshot id is invalid afterwards. */
  close(): Promise<void>;
}

/**
 * Opens the exporting transaction on `client` (a connection of its own). `lockTimeoutMs` bounds
 * the wait for a table lock while counting, like pg_dump's --lock-wait-timeout.
 */
export async function exportSnapshot(client: pg.Client, lockTimeoutMs: number): Promise<ExportedSnapshot> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(0, Math.round(lockTimeoutMs))}`);
    const { rows } = await client.query<{ id: string; txid: string; lsn: string | null }>(
      `SELECT pg_export_snapshot() AS id, txid_current_snapshot()::text AS txid,
              (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn`,
    );
    const writes = await client.query<{ writes: number; stats_reset: string | null }>(WRITES_SQL);
    const tables = (await client.query<{ schema: string; name: string }>(DUMPED_TABLES_SQL)).rows;
    return {
      facts: {
        id: rows[0]!.id,
        txid: rows[0]!.txid,
        walLsn: rows[0]!.lsn,
        writes: Number(writes.rows[0]?.writes ?? 0),
        statsReset: writes.rows[0]?.stats_reset ?? null,
      },
      tables,
      async count(signal) {
        const counted: TableRows[] = [];
        for (const table of tables) {
          if (signal?.aborted) throw new PgwardenError('INTERRUPTED', 'interrupted while counting rows');
          const qualified = quoteQualified(table.schema, table.name);
          try {
            const result = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified}`);
            counted.push({ ...table, rows: Number(result.rows[0]!.n) });
          } catch (error) {
            const e = error as { code?: string; message?: string };
            throw new PgwardenError(
              e.code === '55P03' ? 'BACKUP_FAILED' : 'DB_QUERY',
              `counting the rows of ${displayQualified(table.schema, table.name)} in the backup's snapshot failed: ${e.message}`,
              {
                cause: error,
                ...(e.code === '55P03'
                  ? {
                      hint: 'Another session holds a lock that blocks reading this table (DDL?); retry when it is done.',
                    }
                  : {}),
              },
            );
          }
        }
        return counted;
      },
      async close() {
        await client.query('ROLLBACK').catch(() => undefined);
      },
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
