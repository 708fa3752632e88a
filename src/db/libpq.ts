/**
 * Talking to libpq programs (pg_dump, pg_restore, psql): a URL without the password, the password
 * apart for PGPASSWORD, and the environment to spawn them with. Passwords never go into argv.
 */

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

/**
 * The environment for a libpq program: PGPASSWORD when the URL has a password, and no other copy
 * of a secret (DATABASE_URL, the admin password) that the program has no use for.
 */
export function libpqEnv(password: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'pgwarden', PGCONNECT_TIMEOUT: '10' };
  delete env.DATABASE_URL;
  delete env.PGWARDEN_ADMIN_PASSWORD;
  if (password !== undefined) env.PGPASSWORD = password;
  else delete env.PGPASSWORD;
  return env;
}
