import pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';

export interface ConnectOptions {
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
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '<unparsable database URL>';
  }
}

/** Opens a connection, turning failures into a DB_CONNECT error that names the target (never the password). */
export async function connect(options: ConnectOptions): Promise<pg.Client> {
  const client = new pg.Client({
    ...(options.url ? { connectionString: options.url } : {}),
    application_name: options.applicationName ?? 'pgwarden',
    connectionTimeoutMillis: options.timeoutMs ?? 10_000,
  });
  // a dropped connection emits 'error'; without a listener it would crash the process
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const reason = scrub(error instanceof Error ? error.message : String(error), options.url);
    throw new PgwardenError('DB_CONNECT', `cannot connect to ${describeTarget(options.url)}: ${reason}`, {
      hint: 'Check the URL (--database-url or DATABASE_URL), that the server runs and accepts connections from here, and the credentials.',
    });
  }
  return client;
}

/** Removes the password of `url` from a message, should a driver ever echo it. */
export function scrub(message: string, url: string | undefined): string {
  if (!url) return message;
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.split(password).join('***') : message;
  } catch {
    return message;
  }
}
