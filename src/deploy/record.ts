/**
 * `pgwarden.deploys`: one row per deploy that reached the database — who, where, which commit,
 * which migrations, the pre-deploy backup, each step's duration, the result and the error, a
 * forced deploy window's reason, an accepted drift's reason, and the schema fingerprint after
 * it (the next preflight compares).
 */
import type pg from 'pg';
import type { Actor } from '../migrate/ledger.js';
import { VERSION } from '../version.js';

const DDL = `
  CREATE SCHEMA IF NOT EXISTS pgwarden;
  CREATE TABLE IF NOT EXISTS pgwarden.deploys (
    deploy_id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    result text NOT NULL,
    error text,
    migrations text[] NOT NULL DEFAULT '{}',
    backup_id text,
    steps jsonb NOT NULL DEFAULT '[]',
    forced_window text,
    accepted_drift text,
    schema_fingerprint text,
    db_user text NOT NULL DEFAULT current_user,
    os_user text,
    host text,
    git_commit text,
    pgwarden_version text NOT NULL)`;

export type DeployResultKind = 'started' | 'up-to-date' | 'failed' | 'restored';

export interface DeployRecord {
  startedAt: Date;
  result: DeployResultKind;
  error: string | undefined;
  migrations: string[];
  backupId: string | undefined;
  steps: Array<{ step: string; status: string; ms: number }>;
  forcedWindow: string | undefined;
  /** the reason given with --accept-drift, when the schema had drifted */
  acceptedDrift: string | undefined;
  fingerprint: string | undefined;
}

export async function recordDeploy(client: pg.Client, record: DeployRecord, actor: Actor): Promise<number> {
  const exists = await client.query<{ ok: boolean }>(
    `SELECT to_regclass('pgwarden.deploys') IS NOT NULL AS ok`,
  );
  if (!exists.rows[0]?.ok) await client.query(DDL);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO pgwarden.deploys (started_at, result, error, migrations, backup_id, steps, forced_window,
                                   accepted_drift, schema_fingerprint, os_user, host, git_commit, pgwarden_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING deploy_id::text AS id`,
    [
      record.startedAt,
      record.result,
      record.error ?? null,
      record.migrations,
      record.backupId ?? null,
      JSON.stringify(record.steps),
      record.forcedWindow ?? null,
      record.acceptedDrift ?? null,
      record.fingerprint ?? null,
      actor.osUser ?? null,
      actor.host,
      actor.gitCommit ?? null,
      VERSION,
    ],
  );
  return Number(rows[0]!.id);
}

/**
 * The schema fingerprint recorded by the last deploy, if any: a failed deploy records one too
 * (the schema as its applied migrations left it), except when it was refused for drift.
 */
export async function lastFingerprint(client: pg.Client): Promise<string | undefined> {
  const { rows } = await client.query<{ ok: boolean }>(
    `SELECT to_regclass('pgwarden.deploys') IS NOT NULL AS ok`,
  );
  if (!rows[0]?.ok) return undefined;
  const last = await client.query<{ f: string }>(
    `SELECT schema_fingerprint AS f FROM pgwarden.deploys
      WHERE schema_fingerprint IS NOT NULL
      ORDER BY deploy_id DESC LIMIT 1`,
  );
  return last.rows[0]?.f;
}
