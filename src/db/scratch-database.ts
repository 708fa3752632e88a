/**
 * Scratch databases on the live server (trace --scratch, backup verify --restore-test, drift):
 * created from template0 with the live database's encoding and locale (needs CREATEDB), and
 * dropped with `DROP DATABASE … WITH (FORCE)`. Only names with the scratch prefix are ever dropped.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { connect } from './connect.js';

export const SCRATCH_PREFIX = 'pgwarden_scratch_';

export function scratchName(): string {
  return `${SCRATCH_PREFIX}${randomBytes(6).toString('hex')}`;
}

/** Creates the scratch database next to the live one; a clear error when the role may not. */
export async function createScratchDatabase(live: pg.Client, name: string): Promise<void> {
  const { rows } = await live.query<{ encoding: string; row: Record<string, unknown>; who: string }>(
    `SELECT pg_encoding_to_char(d.encoding) AS encoding, to_jsonb(d) AS row, current_user::text AS who
       FROM pg_database d WHERE d.datname = current_database()`,
  );
  const db = rows[0];
  const options = ['TEMPLATE template0'];
  if (db) {
    options.push(`ENCODING ${quoteLiteral(db.encoding)}`);
    const row = db.row;
    if (typeof row.datcollate === 'string') options.push(`LC_COLLATE ${quoteLiteral(row.datcollate)}`);
    if (typeof row.datctype === 'string') options.push(`LC_CTYPE ${quoteLiteral(row.datctype)}`);
    const locale = (row.daticulocale ?? row.datlocale) as string | null | undefined;
    if (row.datlocprovider === 'i' && locale) {
      options.push(`LOCALE_PROVIDER icu ICU_LOCALE ${quoteLiteral(locale)}`);
    } else if (row.datlocprovider === 'b' && locale) {
      options.push(`LOCALE_PROVIDER builtin BUILTIN_LOCALE ${quoteLiteral(locale)}`);
    }
  }
  try {
    await live.query(`CREATE DATABASE ${quoteIdent(name)} ${options.join(' ')}`);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === '42501') {
      throw new PgwardenError(
        'DB_QUERY',
        `cannot create the scratch database: role "${db?.who ?? 'current'}" may not create databases (${e.message})`,
        {
          hint: `Grant it (ALTER ROLE ${quoteIdent(db?.who ?? 'role')} CREATEDB) or use a staging server.`,
        },
      );
    }
    throw new PgwardenError('DB_QUERY', `cannot create the scratch database ${name}: ${e.message}`, {
      cause: error,
    });
  }
}

/**
 * Drops the scratch database, on the given connection when it still works, else on a new one.
 * Never throws: the error is returned so the caller can report a leftover database.
 */
export async function dropScratchDatabase(
  live: pg.Client | undefined,
  url: string,
  name: string,
): Promise<Error | undefined> {
  if (!name.startsWith(SCRATCH_PREFIX)) return new Error(`refusing to drop ${name}: not a scratch database`);
  const drop = async (client: pg.Client): Promise<void> => {
    const major = Math.floor(
      Number((await client.query('SHOW server_version_num')).rows[0].server_version_num) / 10000,
    );
    if (major >= 13) {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      return;
    }
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  };
  if (live) {
    try {
      await drop(live);
      return undefined;
    } catch {
      // the connection may be gone (interrupted, server restart); try a fresh one
    }
  }
  let client: pg.Client | undefined;
  try {
    client = await connect({ url });
    await drop(client);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await client?.end().catch(() => undefined);
  }
}
