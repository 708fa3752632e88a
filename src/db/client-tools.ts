/**
 * The PostgreSQL client programs pgwarden spawns: pg_dump, pg_restore, psql (and pg_dumpall when
 * present), all from one directory whose pg_dump major is at least the server's — pg_dump refuses
 * newer servers, and a pg_restore older than the pg_dump that wrote an archive cannot read it.
 * Searched in $PG_BIN (only there, when set), PATH, then /usr/lib/postgresql/<major>/bin.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { postgresBinDirs } from '../util/pg-bin-dirs.js';
import { run } from '../util/process.js';
import { libpqEnv } from './libpq.js';

export interface ClientTools {
  /** The directory they were found in. */
  dir: string;
  pgDump: string;
  pgRestore: string;
  psql: string;
  /** undefined when the directory has no pg_dumpall */
  pgDumpall: string | undefined;
  /** pg_dump's major version, e.g. 15 */
  major: number;
  /** pg_dump's version, e.g. "15.18 (Debian 15.18-0+deb12u1)" */
  version: string;
}

const REQUIRED = ['pg_dump', 'pg_restore', 'psql'] as const;

/** The version a program prints for `--version`, e.g. "15.18 (Debian …)"; undefined when it cannot say. */
export async function programVersion(path: string): Promise<string | undefined> {
  const result = await run(path, ['--version'], { timeoutMs: 10_000, env: libpqEnv(undefined) }).catch(
    () => undefined,
  );
  if (result?.code !== 0) return undefined;
  return /\(PostgreSQL\)\s+(\d[^\n]*)/.exec(result.stdout)?.[1]?.trim();
}

/**
 * Client programs of PostgreSQL `serverMajor` or newer; TOOL_MISSING (exit 3) naming the server
 * version and the package to install when there are none. `purpose` completes the message
 * ("backups need it").
 */
export async function findClientTools(serverMajor: number, purpose: string): Promise<ClientTools> {
  const seen: string[] = [];
  for (const dir of postgresBinDirs()) {
    const pgDump = join(dir, 'pg_dump');
    if (!existsSync(pgDump)) continue;
    const version = await programVersion(pgDump);
    const major = Number.parseInt(version ?? '', 10);
    if (!Number.isFinite(major)) {
      seen.push(`${pgDump} (version unknown)`);
      continue;
    }
    seen.push(`${pgDump} (${major})`);
    if (major < serverMajor) continue;
    const missing = REQUIRED.filter((name) => !existsSync(join(dir, name)));
    if (missing.length > 0) {
      seen.push(`${dir} lacks ${missing.join(', ')}`);
      continue;
    }
    const pgDumpall = existsSync(join(dir, 'pg_dumpall')) ? join(dir, 'pg_dumpall') : undefined;
    return {
      dir,
      pgDump,
      pgRestore: join(dir, 'pg_restore'),
      psql: join(dir, 'psql'),
      pgDumpall,
      major,
      version: version!,
    };
  }
  const where = process.env.PG_BIN ? `PG_BIN=${process.env.PG_BIN}` : 'PATH, /usr/lib/postgresql/*/bin';
  throw new PgwardenError(
    'TOOL_MISSING',
    seen.length === 0
      ? `pg_dump was not found (${where}); ${purpose}`
      : `the server runs PostgreSQL ${serverMajor}, and no pg_dump of version ${serverMajor} or newer was found (found: ${seen.join('; ')}); ${purpose}`,
    {
      hint: `Install the PostgreSQL ${serverMajor} client programs (Debian/Ubuntu: apt-get install postgresql-client-${serverMajor}; Alpine: apk add postgresql${serverMajor}-client) or point PG_BIN at their directory.`,
      details: { serverMajor, found: seen },
    },
  );
}
