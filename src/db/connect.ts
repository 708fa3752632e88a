/**
 * pgwarden's own connections (node-postgres): opened from a URL read by url.ts, failures turned
 * into errors that name the target and never the password, and `scrub` for any other message.
 */
import pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { ENCODE_HINT, formatDatabaseUrl, parseDatabaseUrl, passwordForms } from './url.js';

export interface ConnectOptions {
  /** Do not reopen a database that an interrupted restore left closed (the repair itself). */
  noRepair?: boolean;
  /** A postgres:// URL; when absent, libpq environment variables (PGHOST, PGUSER, …) apply. */
  url?: string | undefined;
  /** Give up connecting after this many milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Shown in pg_stat_activity (default `pgwarden`). */
  applicationName?: string;
}

/** A description of the target that never contains a password. */
export function describeTarget(url: string | undefined): string {
  if (!url)
    return `${process.env.PGHOST ?? 'localhost'}:${process.env.PGPORT ?? '5432'}/${process.env.PGDATABASE ?? process.env.PGUSER ?? ''}`;
  try {
    const target = parseDatabaseUrl(url);
    return `${target.host ?? 'localhost'}:${target.port ?? '5432'}${target.database === undefined ? '' : `/${target.database}`}`;
  } catch {
    return '<unparsable database URL>';
  }
}

/** Opens a connection, turning failures into a DB_CONNECT error that names the target (never the password). */
export async function connect(options: ConnectOptions): Promise<pg.Client> {
  // read here, once, for every caller: a URL only a guess could read is refused (exit 2) before
  // anything connects, and node-postgres gets a fully encoded URL it reads as libpq does
  const connectionString = options.url
    ? formatDatabaseUrl(parseDatabaseUrl(options.url), { flavour: 'node', password: true })
    : undefined;
  let client: pg.Client;
  try {
    client = new pg.Client({
      ...(connectionString ? { connectionString } : {}),
      application_name: options.applicationName ?? 'pgwarden',
      connectionTimeoutMillis: options.timeoutMs ?? 10_000,
    });
  } catch (error) {
    throw new PgwardenError(
      'DATABASE_URL_INVALID',
      `node-postgres cannot read the database URL: ${scrub(error instanceof Error ? error.message : String(error), options.url)}`,
      { hint: ENCODE_HINT },
    );
  }
  // a dropped connection emits 'error'; without a listener it would crash the process
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const reason = scrub(error instanceof Error ? error.message : String(error), options.url);
    if (!options.noRepair && isConnectionsBlocked(error)) {
      const { reopenAbandoned } = await import('./connection-block.js');
      if (await reopenAbandoned(options.url)) return connect({ ...options, noRepair: true });
    }
    throw new PgwardenError('DB_CONNECT', `cannot connect to ${describeTarget(options.url)}: ${reason}`, {
      hint: 'Check the URL (--database-url or DATABASE_URL), that the server runs and accepts connections from here, and the credentials.',
    });
  }
  return client;
}

/**
 * SQLSTATE 55000 while connecting: the database does not accept connections (ALLOW_CONNECTIONS
 * false) — perhaps left so by a pgwarden restore that was killed.
 */
function isConnectionsBlocked(error: unknown): boolean {
  return (error as { code?: string })?.code === '55000';
}

/**
 * Removes the password of `url` from a message, should a driver or a program ever echo it: in
 * every form it can take (decoded, percent-encoded, as written; userinfo or `password=`).
 */
export function scrub(message: string, url: string | undefined): string {
  if (!url) return message;
  let clean = message;
  for (const form of passwordForms(url)) clean = clean.split(form).join('***');
  return clean;
}
