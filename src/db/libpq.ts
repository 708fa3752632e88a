/**
 * Talking to libpq programs (pg_dump, pg_dumpall, pg_restore, psql): a URL without any password,
 * the password apart for PGPASSWORD, and the environment to spawn them with. Passwords never go
 * into argv: neither the userinfo one nor `?password=` (sslpassword is refused by the URL reader).
 */
import { formatDatabaseUrl, parseDatabaseUrl } from './url.js';

/** The URL with another database name (the password stays: it is for pgwarden's own connections). */
export function withDatabase(url: string, database: string): string {
  const target = parseDatabaseUrl(url);
  return formatDatabaseUrl({ ...target, database }, { flavour: 'libpq', password: true });
}

/**
 * A URL libpq programs accept, without the password in any form, and the password apart (for
 * PGPASSWORD). node-postgres' `ssl=true` becomes libpq's `sslmode=require`. DATABASE_URL_INVALID
 * when the URL cannot be read.
 */
export function forLibpq(url: string): { url: string; password: string | undefined } {
  const target = parseDatabaseUrl(url);
  const params = target.params.filter(([key]) => key !== 'ssl');
  const ssl = target.params.findLast(([key]) => key === 'ssl')?.[1];
  if (ssl !== undefined && ssl !== 'false' && ssl !== '0' && !params.some(([key]) => key === 'sslmode')) {
    params.push(['sslmode', 'require']);
  }
  return {
    url: formatDatabaseUrl({ ...target, params }, { flavour: 'libpq', password: false }),
    password: target.password,
  };
}

/**
 * How a libpq program reaches the database at `url` (the PG* variables when there is none): the
 * `--dbname=` argument to add, and the environment to spawn it with.
 */
export function libpqTarget(url: string | undefined): { args: string[]; env: NodeJS.ProcessEnv } {
  if (!url) return { args: [], env: libpqEnv(undefined) };
  const target = forLibpq(url);
  return { args: [`--dbname=${target.url}`], env: libpqEnv(target.password) };
}

/**
 * The environment for a libpq program: PGPASSWORD set to the URL's password when it has one (else
 * the caller's own PGPASSWORD stays, as node-postgres uses it too), and no other copy of a secret
 * the program has no use for: no DATABASE_URL, no PGWARDEN_* variable (the admin password, the
 * health-check URL…).
 */
export function libpqEnv(password: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'pgwarden', PGCONNECT_TIMEOUT: '10' };
  delete env.DATABASE_URL;
  for (const name of Object.keys(env)) if (name.startsWith('PGWARDEN_')) delete env[name];
  if (password !== undefined) env.PGPASSWORD = password;
  return env;
}
