/**
 * Opening what every runner command works on: a connection (named in pg_stat_activity), the
 * server's major version, and the migrations of the folder in the detected format.
 */
import type pg from 'pg';
import { connect } from '../db/connect.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { type LoadMigrationsOptions, loadMigrations, type MigrationSource } from './source.js';
import type { HistoryContext } from './types.js';

export interface TargetOptions extends Omit<LoadMigrationsOptions, 'client'> {
  /** postgres:// URL; libpq PG* variables apply when absent. */
  databaseUrl?: string | undefined;
}

export interface Target {
  client: pg.Client;
  source: MigrationSource;
  pgMajor: number;
  history: HistoryContext;
  close(): Promise<void>;
}

export async function openTarget(options: TargetOptions, applicationName = 'pgwarden'): Promise<Target> {
  const client = await connect({ url: options.databaseUrl, applicationName });
  try {
    const versionNum = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
    const source = await loadMigrations({ ...options, client });
    return {
      client,
      source,
      pgMajor: Math.floor(versionNum / 10000),
      history: { client, ...(source.table ? { table: source.table } : {}) },
      close: () => client.end().catch(() => undefined),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** True for errors that mean the connection is gone (the server rolled back what was open). */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (typeof e?.code === 'string') return e.code.startsWith('08') || e.code.startsWith('57P');
  const message = String(e?.message ?? '');
  return /Connection terminated|connection is closed|ECONNRESET|EPIPE|Client has encountered a connection error/i.test(
    message,
  );
}

export function connectionLost(error: unknown, doing: string): PgwardenError {
  const reason = (error as Error)?.message ?? String(error);
  return new PgwardenError(
    'DB_CONNECTION_LOST',
    `the connection to the database was lost ${doing}: ${reason}`,
    {
      hint: 'PostgreSQL rolled back the open transaction. Check the server, then run the command again: it resumes where it stopped.',
      cause: error,
    },
  );
}
