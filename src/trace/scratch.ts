/**
 * The scratch database of `trace --scratch`: created on the live server (needs CREATEDB) from
 * template0 with the live database's encoding and locale, loaded with the live schema by
 * `pg_dump --schema-only --no-owner --no-privileges | psql -X -v ON_ERROR_STOP=1 -q`, and dropped
 * with `DROP DATABASE … WITH (FORCE)`. The programs get argument arrays and the password only
 * through PGPASSWORD, never in argv; their messages are scrubbed of it too.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { connect, scrub } from '../db/connect.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { postgresBinDirs } from '../util/pg-bin-dirs.js';
import { run } from '../util/process.js';

export const SCRATCH_PREFIX = 'pgwarden_scratch_';

export function scratchName(): string {
  return `${SCRATCH_PREFIX}${randomBytes(6).toString('hex')}`;
}

/** The URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * A URL libpq programs accept, without the password, and the password apart (for PGPASSWORD).
 * node-postgres' `ssl=true` becomes libpq's `sslmode=require`.
 */
export function forLibpq(url: string): { url: string; password: string | undefined } {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  const ssl = parsed.searchParams.get('ssl');
  if (ssl !== null) {
    parsed.searchParams.delete('ssl');
    if (ssl !== 'false' && ssl !== '0' && !parsed.searchParams.has('sslmode')) {
      parsed.searchParams.set('sslmode', 'require');
    }
  }
  return { url: parsed.toString(), password };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
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
          hint: `Grant it for the rehearsal (ALTER ROLE ${quoteIdent(db?.who ?? 'role')} CREATEDB) or use a staging server, or trace without --scratch (a transaction that is rolled back).`,
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

export interface ClientTools {
  pgDump: string;
  psql: string;
  pgDumpMajor: number;
}

/** A pg_dump whose major version is at least the server's (pg_dump refuses newer servers), and a psql. */
export async function findClientTools(serverMajor: number): Promise<ClientTools> {
  const seen: string[] = [];
  const dirs = postgresBinDirs();
  for (const dir of dirs) {
    const pgDump = join(dir, 'pg_dump');
    if (!existsSync(pgDump)) continue;
    const result = await run(pgDump, ['--version']).catch(() => undefined);
    const major = Number(/\(PostgreSQL\)\s+(\d+)/.exec(result?.stdout ?? '')?.[1]);
    if (!Number.isFinite(major)) continue;
    seen.push(`${pgDump} (${major})`);
    if (major < serverMajor) continue;
    const psql = existsSync(join(dir, 'psql'))
      ? join(dir, 'psql')
      : (dirs.map((d) => join(d, 'psql')).find((p) => existsSync(p)) ?? 'psql');
    return { pgDump, psql, pgDumpMajor: major };
  }
  throw new PgwardenError(
    'TOOL_MISSING',
    seen.length === 0
      ? 'pg_dump was not found (PG_BIN, PATH, /usr/lib/postgresql/*/bin); --scratch needs it to copy the schema'
      : `no pg_dump of PostgreSQL ${serverMajor} or newer was found (found: ${seen.join(', ')})`,
    {
      hint: `Install the PostgreSQL ${serverMajor} client programs (Debian: postgresql-client-${serverMajor}) or point PG_BIN at their directory.`,
    },
  );
}

interface Collected {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Copies the live schema into the scratch database: pg_dump's output is piped straight into
 * psql. Aborting `signal` kills both programs.
 */
export async function loadSchema(
  tools: ClientTools,
  liveUrl: string,
  scratchUrl: string,
  signal?: AbortSignal,
): Promise<void> {
  const source = forLibpq(liveUrl);
  const target = forLibpq(scratchUrl);
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'pgwarden', PGCONNECT_TIMEOUT: '10' };
  if (source.password !== undefined) env.PGPASSWORD = source.password;

  const dump = spawn(
    tools.pgDump,
    ['--schema-only', '--no-owner', '--no-privileges', '--dbname', source.url],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    },
  );
  const load = spawn(tools.psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--dbname', target.url], {
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  load.stdin.on('error', () => undefined); // psql gave up early; its exit status says why
  dump.stdout.pipe(load.stdin);
  const [dumped, loaded] = await Promise.all([collect(dump, tools.pgDump), collect(load, tools.psql)]);
  if (signal?.aborted) throw new PgwardenError('INTERRUPTED', 'interrupted while copying the schema');
  const problem = (label: string, r: Collected) =>
    `${label} ${r.signal ? `was killed by ${r.signal}` : `exited with ${r.code}`}: ${lastLines(scrub(r.stderr, liveUrl))}`;
  if (dumped.code !== 0) {
    throw new PgwardenError('DB_QUERY', `copying the live schema failed: ${problem('pg_dump', dumped)}`, {
      hint: 'pg_dump needs to read every object of the database; check the role’s privileges.',
    });
  }
  if (loaded.code !== 0) {
    throw new PgwardenError(
      'DB_QUERY',
      `loading the live schema into the scratch database failed: ${problem('psql', loaded)}`,
      {
        hint: 'Objects that need a superuser (some extensions, event triggers) cannot be recreated by this role; trace without --scratch instead.',
      },
    );
  }
}

function collect(child: ReturnType<typeof spawn>, program: string): Promise<Collected> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return; // 'close' follows with the signal
      if (error.code === 'ENOENT') {
        reject(
          new PgwardenError('TOOL_MISSING', `${program} was not found`, {
            hint: 'Install the PostgreSQL client programs or point PG_BIN at their directory.',
          }),
        );
      } else reject(error);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-6).join(' | ') || '(no message)';
}
