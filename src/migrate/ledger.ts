/**
 * pgwarden's own records, in schema `pgwarden`, beside the tool's history table:
 * - `pgwarden.migrations`: one row per applied migration: checksum (algorithm-prefixed), timings,
 *   who/where/which commit; `status = 'partial'` while a migration that cannot run in one
 *   transaction is under way;
 * - `pgwarden.statement_progress`: per-statement progress of such migrations, so a re-run resumes
 *   after the last statement that completed (and refuses if that statement was edited since);
 * - `pgwarden.events`: an append-only log of runs, failures, retries, rollbacks and resolutions.
 */
import { hostname, userInfo } from 'node:os';
import type pg from 'pg';
import { VERSION } from '../version.js';

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS pgwarden`,
  `CREATE TABLE IF NOT EXISTS pgwarden.migrations (
     format text NOT NULL,
     id text NOT NULL,
     name text NOT NULL,
     path text NOT NULL,
     checksum text NOT NULL,
     status text NOT NULL CHECK (status IN ('applied', 'partial')),
     started_at timestamptz NOT NULL,
     finished_at timestamptz,
     duration_ms integer,
     statements integer NOT NULL,
     lock_retries integer NOT NULL DEFAULT 0,
     db_user text NOT NULL DEFAULT current_user,
     os_user text,
     host text,
     git_commit text,
     pgwarden_version text NOT NULL,
     PRIMARY KEY (format, id))`,
  `CREATE TABLE IF NOT EXISTS pgwarden.statement_progress (
     format text NOT NULL,
     id text NOT NULL,
     statement_index integer NOT NULL,
     statement_checksum text NOT NULL,
     finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     duration_ms integer NOT NULL,
     PRIMARY KEY (format, id, statement_index))`,
  `CREATE TABLE IF NOT EXISTS pgwarden.events (
     event_id bigserial PRIMARY KEY,
     at timestamptz NOT NULL DEFAULT clock_timestamp(),
     kind text NOT NULL,
     format text,
     migration_id text,
     detail jsonb NOT NULL DEFAULT '{}',
     db_user text NOT NULL DEFAULT current_user,
     os_user text,
     host text,
     git_commit text)`,
];

/** Who and where, recorded with every row. */
export interface Actor {
  osUser: string | undefined;
  host: string;
  gitCommit: string | undefined;
}

export function currentActor(gitCommit: string | undefined): Actor {
  let osUser: string | undefined;
  try {
    osUser = userInfo().username;
  } catch {
    osUser = undefined;
  }
  return { osUser, host: hostname(), gitCommit };
}

export async function ledgerExists(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query(`SELECT to_regclass('pgwarden.migrations') IS NOT NULL AS ok`);
  return rows[0].ok === true;
}

export async function ensureLedger(client: pg.Client): Promise<void> {
  // events is created last: when it exists, so does everything before it
  const { rows } = await client.query(`SELECT to_regclass('pgwarden.events') IS NOT NULL AS ok`);
  if (rows[0].ok) return;
  for (const sql of DDL) await client.query(sql);
}

export interface LedgerRow {
  id: string;
  checksum: string;
  status: 'applied' | 'partial';
  finishedAt: Date | undefined;
  durationMs: number | undefined;
}

/** pgwarden's rows for a format (empty when the ledger does not exist yet). */
export async function readLedger(client: pg.Client, format: string): Promise<Map<string, LedgerRow>> {
  if (!(await ledgerExists(client))) return new Map();
  const { rows } = await client.query(
    `SELECT id, checksum, status, finished_at, duration_ms FROM pgwarden.migrations WHERE format = $1`,
    [format],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        checksum: r.checksum,
        status: r.status,
        finishedAt: r.finished_at ?? undefined,
        durationMs: r.duration_ms ?? undefined,
      },
    ]),
  );
}

export interface RecordMigration {
  format: string;
  id: string;
  name: string;
  path: string;
  checksum: string;
  status: 'applied' | 'partial';
  startedAt: Date;
  durationMs: number | undefined;
  statements: number;
  lockRetries: number;
}

/** A `pgwarden.migrations` row for `migration` of `format`. */
export function migrationRecord(
  format: string,
  migration: { id: string; name: string; path: string; checksum: string },
  fields: Pick<RecordMigration, 'status' | 'startedAt' | 'durationMs' | 'statements' | 'lockRetries'>,
): RecordMigration {
  const { id, name, path, checksum } = migration;
  return { format, id, name, path, checksum, ...fields };
}

/** Writes (or updates) the row; returns the id of the transaction that wrote it. */
export async function recordMigration(
  client: pg.Client,
  row: RecordMigration,
  actor: Actor,
): Promise<string> {
  const { rows } = await client.query(
    `INSERT INTO pgwarden.migrations (format, id, name, path, checksum, status, started_at, finished_at,
        duration_ms, statements, lock_retries, os_user, host, git_commit, pgwarden_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 = 'applied' THEN clock_timestamp() END, $8, $9, $10,
        $11, $12, $13, $14)
     ON CONFLICT (format, id) DO UPDATE SET name = excluded.name, path = excluded.path,
        checksum = excluded.checksum, status = excluded.status, finished_at = excluded.finished_at,
        duration_ms = excluded.duration_ms, statements = excluded.statements,
        lock_retries = pgwarden.migrations.lock_retries + excluded.lock_retries, db_user = current_user,
        os_user = excluded.os_user, host = excluded.host, git_commit = excluded.git_commit,
        pgwarden_version = excluded.pgwarden_version
     RETURNING txid_current()::text AS xid`,
    [
      row.format,
      row.id,
      row.name,
      row.path,
      row.checksum,
      row.status,
      row.startedAt,
      row.durationMs ?? null,
      row.statements,
      row.lockRetries,
      actor.osUser ?? null,
      actor.host,
      actor.gitCommit ?? null,
      VERSION,
    ],
  );
  return rows[0].xid;
}

export async function forgetMigration(client: pg.Client, format: string, id: string): Promise<void> {
  await client.query(`DELETE FROM pgwarden.statement_progress WHERE format = $1 AND id = $2`, [format, id]);
  await client.query(`DELETE FROM pgwarden.migrations WHERE format = $1 AND id = $2`, [format, id]);
}

/** Statement index → checksum of the statements of a partial migration that completed. */
export async function readProgress(
  client: pg.Client,
  format: string,
  id: string,
): Promise<Map<number, string>> {
  if (!(await ledgerExists(client))) return new Map();
  const { rows } = await client.query(
    `SELECT statement_index, statement_checksum FROM pgwarden.statement_progress WHERE format = $1 AND id = $2`,
    [format, id],
  );
  return new Map(rows.map((r) => [r.statement_index as number, r.statement_checksum as string]));
}

/**
 * Records that a statement of a partial migration completed. Returns the id of the transaction
 * that wrote the row (the caller's, or the statement's own implicit one).
 */
export async function recordProgress(
  client: pg.Client,
  entry: { format: string; id: string; index: number; checksum: string; durationMs: number },
): Promise<string> {
  const { rows } = await client.query(
    `INSERT INTO pgwarden.statement_progress (format, id, statement_index, statement_checksum, duration_ms)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (format, id, statement_index) DO UPDATE SET statement_checksum = excluded.statement_checksum,
        finished_at = clock_timestamp(), duration_ms = excluded.duration_ms
     RETURNING txid_current()::text AS xid`,
    [entry.format, entry.id, entry.index, entry.checksum, Math.round(entry.durationMs)],
  );
  return rows[0].xid;
}

export async function clearProgress(client: pg.Client, format: string, id: string): Promise<void> {
  await client.query(`DELETE FROM pgwarden.statement_progress WHERE format = $1 AND id = $2`, [format, id]);
}

/** Appends an event; returns the id of the transaction that wrote it. */
export async function logEvent(
  client: pg.Client,
  event: { kind: string; format?: string; migrationId?: string; detail?: Record<string, unknown> },
  actor: Actor,
): Promise<string> {
  const { rows } = await client.query(
    `INSERT INTO pgwarden.events (kind, format, migration_id, detail, os_user, host, git_commit)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING txid_current()::text AS xid`,
    [
      event.kind,
      event.format ?? null,
      event.migrationId ?? null,
      JSON.stringify(event.detail ?? {}),
      actor.osUser ?? null,
      actor.host,
      actor.gitCommit ?? null,
    ],
  );
  return rows[0].xid;
}
