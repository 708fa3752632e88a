/**
 * `pgwarden.backfills`: one row per backfill, written in the same transaction as each batch, so the
 * row always says exactly which key range is done: after kill -9 the next run continues after
 * `last_key`, with no batch done twice or skipped. The range's end (`max_key`) is fixed when the
 * backfill starts.
 */
import type pg from 'pg';
import type { Actor } from '../migrate/ledger.js';
import type { KeyValue } from './walk-key.js';

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS pgwarden`,
  `CREATE TABLE IF NOT EXISTS pgwarden.backfills (
     id text PRIMARY KEY,
     relation text NOT NULL,
     statement text NOT NULL,
     statement_checksum text NOT NULL,
     key_columns text[] NOT NULL,
     max_key text[],
     last_key text[],
     rows_total bigint NOT NULL,
     rows_done bigint NOT NULL DEFAULT 0,
     rows_updated bigint NOT NULL DEFAULT 0,
     batches integer NOT NULL DEFAULT 0,
     started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     finished_at timestamptz,
     db_user text NOT NULL DEFAULT current_user,
     os_user text,
     host text)`,
];

export interface BackfillRow {
  id: string;
  statementChecksum: string;
  keyColumns: string[];
  /** undefined: the table was empty when the backfill started */
  maxKey: KeyValue | undefined;
  /** undefined: no batch done yet */
  lastKey: KeyValue | undefined;
  rowsTotal: number;
  rowsDone: number;
  rowsUpdated: number;
  batches: number;
  startedAt: Date;
  finishedAt: Date | undefined;
}

export async function ensureBackfillTable(client: pg.Client): Promise<void> {
  const { rows } = await client.query(`SELECT to_regclass('pgwarden.backfills') IS NOT NULL AS ok`);
  if (rows[0].ok) return;
  for (const sql of DDL) await client.query(sql);
}

export async function readBackfill(client: pg.Client, id: string): Promise<BackfillRow | undefined> {
  const { rows } = await client.query(
    `SELECT id, statement_checksum, key_columns, max_key, last_key, rows_total, rows_done,
            rows_updated, batches, started_at, finished_at
       FROM pgwarden.backfills WHERE id = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    statementChecksum: r.statement_checksum,
    keyColumns: r.key_columns,
    maxKey: r.max_key ?? undefined,
    lastKey: r.last_key ?? undefined,
    rowsTotal: Number(r.rows_total),
    rowsDone: Number(r.rows_done),
    rowsUpdated: Number(r.rows_updated),
    batches: r.batches,
    startedAt: r.started_at,
    finishedAt: r.finished_at ?? undefined,
  };
}

export interface StartBackfill {
  id: string;
  relation: string;
  statement: string;
  statementChecksum: string;
  keyColumns: string[];
  maxKey: KeyValue | undefined;
  rowsTotal: number;
}

/** Records a new backfill (replacing a finished one of the same id). */
export async function startBackfill(client: pg.Client, row: StartBackfill, actor: Actor): Promise<void> {
  await client.query(
    `INSERT INTO pgwarden.backfills
       (id, relation, statement, statement_checksum, key_columns, max_key, rows_total, os_user, host)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET
       relation = EXCLUDED.relation, statement = EXCLUDED.statement,
       statement_checksum = EXCLUDED.statement_checksum, key_columns = EXCLUDED.key_columns,
       max_key = EXCLUDED.max_key, last_key = NULL, rows_total = EXCLUDED.rows_total,
       rows_done = 0, rows_updated = 0, batches = 0, started_at = clock_timestamp(),
       updated_at = clock_timestamp(), finished_at = NULL, db_user = current_user,
       os_user = EXCLUDED.os_user, host = EXCLUDED.host`,
    [
      row.id,
      row.relation,
      row.statement,
      row.statementChecksum,
      row.keyColumns,
      row.maxKey ?? null,
      row.rowsTotal,
      actor.osUser ?? null,
      actor.host,
    ],
  );
}

/** Records a batch, inside the batch's transaction; `finished` when the batch reached the range's end. */
export async function recordBatch(
  client: pg.Client,
  id: string,
  batch: { lastKey: KeyValue | undefined; keys: number; updated: number; finished: boolean },
): Promise<void> {
  await client.query(
    `UPDATE pgwarden.backfills
        SET last_key = coalesce($2, last_key), rows_done = rows_done + $3,
            rows_updated = rows_updated + $4, batches = batches + 1, updated_at = clock_timestamp(),
            finished_at = CASE WHEN $5 THEN clock_timestamp() END
      WHERE id = $1`,
    [id, batch.lastKey ?? null, batch.keys, batch.updated, batch.finished],
  );
}
