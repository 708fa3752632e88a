/**
 * `drift()`: the library function behind `pgwarden drift`. Replays every migration on a scratch
 * database created next to the live one (and dropped in the end, also on an error or Ctrl-C) or
 * on an empty `shadowUrl` database, with the runner's own `migrate()`; then reads both catalogs
 * (the migration history tables and schema pgwarden left out) and diffs them. The result lists
 * every difference with the SQL that makes live match the migrations, and both fingerprints.
 */
import type pg from 'pg';
import { connect, describeTarget, scrub } from '../db/connect.js';
import { emptyDatabaseSql } from '../db/empty-database.js';
import { withDatabase } from '../db/libpq.js';
import { createScratchDatabase, dropScratchDatabase, scratchName } from '../db/scratch-database.js';
import { checkDatabaseUrl } from '../db/url.js';
import { ERROR_CODES } from '../errors/codes.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { migrate } from '../migrate/migrate.js';
import { openTarget, type Target } from '../migrate/target.js';
import type { FormatId, MigrationFormat } from '../migrate/types.js';
import { loadParser } from '../sql/parser.js';
import { displayQualified, sanitizeText } from '../sql/quote.js';
import { notInExtension, readCatalog } from './catalog.js';
import { type Difference, diffCatalogs } from './diff.js';
import { fingerprintOf } from './fingerprint.js';
import { historyTablesExclude } from './history-tables.js';
import type { CatalogModel } from './model.js';

export interface DriftOptions {
  /** The live database (postgres:// URL); libpq PG* variables apply when absent (only with shadowUrl). */
  databaseUrl?: string | undefined;
  /** An empty database to replay the migrations in, instead of a scratch database on the live server. */
  shadowUrl?: string | undefined;
  cwd: string;
  /** The migrations directory (relative to cwd); default: configured or well-known. */
  dir?: string | readonly string[] | undefined;
  /** A format id, or `auto`/undefined to detect. */
  format?: string | undefined;
  /** History table override (`migrations.table`). */
  table?: string | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((event: DriftEvent) => void) | undefined;
}

export type DriftEvent =
  | { type: 'scratch-created'; database: string }
  | { type: 'shadow'; database: string }
  | { type: 'replay-start'; migrations: number }
  | { type: 'migration-applied'; id: string; durationMs: number }
  | { type: 'compare' }
  | { type: 'scratch-dropped'; database: string; error?: string }
  | { type: 'shadow-emptied'; database: string; error?: string };

export interface DriftResult {
  format: FormatId;
  /** Absolute path of the migrations directory. */
  dir: string;
  /** Where the migrations were replayed. */
  scratch: 'created' | 'shadow';
  /** The scratch database's name, or the shadow database (host:port/name, no password). */
  database: string;
  /** Migrations replayed. */
  migrations: number;
  /** The history tables left out of both catalogs. */
  excluded: string[];
  differences: Difference[];
  /** `live` is what deploy's preflight compares; `expected` is the schema the migrations build. */
  fingerprint: { live: string; expected: string };
  /** Set when the scratch database could not be dropped, or the shadow database emptied (do it by hand). */
  dropError?: string;
}

export async function drift(options: DriftOptions): Promise<DriftResult> {
  checkAborted(options.signal);
  if (!options.shadowUrl && !options.databaseUrl) {
    throw new PgwardenError(
      'USAGE',
      'drift needs the live database as a URL: no --database-url and no DATABASE_URL',
      {
        hint: 'Pass --database-url postgres://user@host/db (or set DATABASE_URL); the scratch database is created on the same server.',
      },
    );
  }
  // both read before anything starts; the live one is read again by connect()
  if (options.shadowUrl !== undefined) checkDatabaseUrl(options.shadowUrl, '--shadow-url');
  if (options.databaseUrl) checkDatabaseUrl(options.databaseUrl);
  const live = await openTarget(
    {
      databaseUrl: options.databaseUrl,
      cwd: options.cwd,
      dir: options.dir,
      format: options.format,
      table: options.table,
    },
    'pgwarden drift',
  );
  try {
    const { source } = live;
    const replay = (url: string, where: string) =>
      replayOn(
        url,
        where,
        { format: source.format, dir: source.dir, count: source.migrations.length },
        options,
      );
    if (options.shadowUrl) {
      const database = describeTarget(options.shadowUrl);
      options.onEvent?.({ type: 'shadow', database });
      return await withShadow(options.shadowUrl, live, options, async () =>
        compare(live, await replay(options.shadowUrl!, `the shadow database ${database}`), source.format, {
          format: source.format.id,
          dir: source.dir,
          scratch: 'shadow',
          database,
          migrations: source.migrations.length,
        }),
      );
    }
    return await withScratch(live.client, options, async (database, url) => {
      const outcome = await replay(url, `the scratch database ${database}`);
      return compare(live, outcome, source.format, {
        format: source.format.id,
        dir: source.dir,
        scratch: 'created',
        database,
        migrations: source.migrations.length,
      });
    });
  } finally {
    await live.close();
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new PgwardenError('INTERRUPTED', 'interrupted; the live database was not changed');
}

/** The replayed database's catalog, read on a connection of its own. */
interface Replayed {
  model: (exclude: string[]) => Promise<CatalogModel>;
  historyTable: string;
  close: () => Promise<void>;
}

/** Applies every migration to the database at `url` with the runner, then opens it for reading. */
async function replayOn(
  url: string,
  where: string,
  { format, dir, count }: { format: MigrationFormat; dir: string; count: number },
  options: DriftOptions,
): Promise<Replayed> {
  options.onEvent?.({ type: 'replay-start', migrations: count });
  try {
    await migrate({
      databaseUrl: url,
      cwd: options.cwd,
      dir,
      format: format.id,
      table: options.table,
      // a replay, not a deploy: what the folder holds now is what is compared
      allowUncommitted: true,
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: (event) => {
        if (event.type === 'migration-done')
          options.onEvent?.({ type: 'migration-applied', id: event.id, durationMs: event.durationMs });
      },
    });
  } catch (error) {
    if (error instanceof PgwardenError && error.code !== 'INTERRUPTED') {
      // a migration that fails here is the finding; a lost connection stays what it is
      const code = ERROR_CODES[error.code].class === 'failure' ? 'DRIFT_REPLAY_FAILED' : error.code;
      throw new PgwardenError(code, `replaying the migrations on ${where} failed: ${error.message}`, {
        hint:
          error.hint ??
          'The migrations do not build the schema from an empty database; fix the migration named above, or check that the role may do what it does (extensions, roles).',
        ...(error.details ? { details: error.details } : {}),
        cause: error,
      });
    }
    throw error;
  }
  checkAborted(options.signal);
  const client = await connect({ url, applicationName: 'pgwarden drift (replay)' });
  try {
    const historyTable = (
      await format.history.read({ client, ...(options.table ? { table: options.table } : {}) })
    ).table;
    return {
      model: (exclude) => readCatalog(client, { exclude }),
      historyTable,
      close: () => client.end().catch(() => undefined),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

async function compare(
  live: Target,
  replayed: Replayed,
  format: MigrationFormat,
  base: Pick<DriftResult, 'format' | 'dir' | 'scratch' | 'database' | 'migrations'>,
): Promise<DriftResult> {
  try {
    const liveHistory = (await format.history.read(live.history)).table;
    // both sides leave out the same tables: the history where each side keeps it
    const excluded = [
      ...new Set([
        ...historyTablesExclude(format.id, liveHistory),
        ...historyTablesExclude(format.id, replayed.historyTable),
      ]),
    ];
    const expected = await replayed.model(excluded);
    const actual = await readCatalog(live.client, { exclude: excluded });
    return {
      ...base,
      excluded,
      differences: diffCatalogs(expected, actual),
      fingerprint: { live: fingerprintOf(actual), expected: fingerprintOf(expected) },
    };
  } finally {
    await replayed.close();
  }
}

/** Creates the scratch database, runs `work` on it, and drops it whatever happens. */
async function withScratch(
  live: pg.Client,
  options: DriftOptions,
  work: (database: string, url: string) => Promise<DriftResult>,
): Promise<DriftResult> {
  const liveUrl = options.databaseUrl!;
  const name = scratchName();
  try {
    await createScratchDatabase(live, name);
  } catch (error) {
    if (error instanceof PgwardenError) {
      throw new PgwardenError(error.code, error.message, {
        hint: `${error.hint ? `${error.hint} ` : ''}Or pass --shadow-url with an empty database to replay the migrations in.`,
        cause: error,
      });
    }
    throw error;
  }
  options.onEvent?.({ type: 'scratch-created', database: name });
  let result: DriftResult | undefined;
  try {
    result = await work(name, withDatabase(liveUrl, name));
    return result;
  } finally {
    const dropError = await dropScratchDatabase(live, liveUrl, name);
    const message = dropError ? scrub(dropError.message, liveUrl) : undefined;
    options.onEvent?.({ type: 'scratch-dropped', database: name, ...(message ? { error: message } : {}) });
    if (result && message) result.dropError = message;
  }
}

/**
 * Refuses a shadow database that holds anything, or runs another major version than live; after
 * the replay, empties it again (what is in it then is only what the replay made), so the same
 * shadow database serves the next run.
 */
async function withShadow(
  url: string,
  live: Target,
  options: DriftOptions,
  work: () => Promise<DriftResult>,
): Promise<DriftResult> {
  const liveMajor = live.pgMajor;
  const database = describeTarget(url);
  const client = await connect({ url, applicationName: 'pgwarden drift (shadow check)' });
  try {
    // the replay writes: it must never land in the live database, whatever name the URL uses
    if ((await databaseIdentity(client)) === (await databaseIdentity(live.client))) {
      throw new PgwardenError('USAGE', `--shadow-url ${database} is the live database itself`, {
        hint: 'Give another, empty database, or omit --shadow-url to use a scratch database on the live server.',
      });
    }
    const major = Math.floor(
      Number((await client.query('SHOW server_version_num')).rows[0].server_version_num) / 10000,
    );
    if (major !== liveMajor) {
      throw new PgwardenError(
        'USAGE',
        `the shadow database ${database} runs PostgreSQL ${major}, the live one ${liveMajor}: their catalogs print definitions differently`,
        {
          hint: `Use a shadow database on a PostgreSQL ${liveMajor} server, or omit --shadow-url to use a scratch database on the live server.`,
        },
      );
    }
    const found = await userObjects(client);
    if (found.length) {
      throw new PgwardenError(
        'SHADOW_NOT_EMPTY',
        `the shadow database ${database} is not empty: ${found.slice(0, 8).join(', ')}${found.length > 8 ? `, and ${found.length - 8} more` : ''}`,
        {
          hint: 'pgwarden only ever empties a shadow database it found empty. Give an empty database (drop and create it again), or omit --shadow-url to use a scratch database on the live server.',
          details: { objects: found },
        },
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  let result: DriftResult | undefined;
  try {
    result = await work();
    return result;
  } finally {
    const error = await emptyShadow(url);
    const message = error ? scrub(error.message, url) : undefined;
    options.onEvent?.({ type: 'shadow-emptied', database, ...(message ? { error: message } : {}) });
    if (result && message) result.dropError = message;
  }
}

/** Drops everything in the shadow database (restore's preamble, committed); the error, if any. */
async function emptyShadow(url: string): Promise<Error | undefined> {
  let client: pg.Client | undefined;
  try {
    client = await connect({ url, applicationName: 'pgwarden drift (shadow cleanup)' });
    await client.query(`${emptyDatabaseSql(10_000)}COMMIT;`);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/** The same for every connection to one database of one running server. */
async function databaseIdentity(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT concat_ws('/', pg_catalog.pg_postmaster_start_time(), d.oid, d.datname) AS id
       FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`,
  );
  return rows[0]?.id ?? '';
}

/**
 * What a database holds besides what every new database has (schema public, extension plpgsql):
 * other schemas (pgwarden's too), and relations, functions and types in public, extensions. Each
 * named as people read it (`table public."Odd Name"`, src/sql/quote.ts).
 */
async function userObjects(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{
    what: string;
    schema: string | null;
    name: string;
    args: string | null;
  }>(`
    SELECT 'schema' AS what, NULL AS schema, n.nspname AS name, NULL AS args, 1 AS kind
      FROM pg_catalog.pg_namespace n
     WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
    UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                          WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'type' ELSE 'table' END,
           'public', c.relname, NULL, 2
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
       AND ${notInExtension('pg_class', 'c.oid')}
    UNION ALL
    SELECT 'function', 'public', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), 3
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'public'::regnamespace AND ${notInExtension('pg_proc', 'p.oid')}
    UNION ALL
    SELECT 'type', 'public', t.typname, NULL, 4
      FROM pg_catalog.pg_type t
     WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm', 'b')
       AND t.typelem = 0 AND t.typrelid = 0 AND ${notInExtension('pg_type', 't.oid')}
    UNION ALL
    SELECT 'extension', NULL, e.extname, NULL, 5 FROM pg_catalog.pg_extension e WHERE e.extname <> 'plpgsql'
     ORDER BY 5, 3`);
  // a function's arguments as the server printed them: a type's name may hold a control character
  await loadParser();
  return rows.map((r) => {
    const name = r.schema === null ? displayQualified(r.name) : displayQualified(r.schema, r.name);
    return `${r.what} ${name}${r.args === null ? '' : `(${sanitizeText(r.args)})`}`;
  });
}
