/**
 * diesel (diesel_cli and diesel_migrations 2.2): one directory per migration,
 * `<version>_<name>/up.sql` with an optional `down.sql` and an optional `metadata.toml`, recorded
 * as one row per version in `__diesel_schema_migrations(version VARCHAR(50) PRIMARY KEY NOT NULL,
 * run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`, so `diesel migration run/list/revert`
 * keep working after pgwarden ran.
 *
 * Read from diesel's source (diesel-rs/diesel):
 * - migrations_internals/src/lib.rs: every entry of the folder that is not a regular file and
 *   does not start with `.` is a migration directory, and it must hold an `up.sql`
 *   (`valid_sql_migration_directory`) — otherwise diesel_migrations/src/file_based_migrations.rs
 *   `FileBasedMigrations::from_path` refuses the whole folder (`UnknownMigrationFormat`). Files
 *   at the top level (`.keep`, `.diesel_lock`, a README) are ignored. The version is the part of
 *   the directory name before the first `_` with every `-` removed (`version_from_string`), so
 *   `2024-01-05-093000_create_users` is version `20240105093000`; diesel_cli 2.2 names directories
 *   `%Y-%m-%d-%H%M%S_<name>` in UTC (main.rs TIMESTAMP_FORMAT), later versions add a 4-hex-digit
 *   counter (`2024-01-05-093000-0000_<name>`, version `202401050930000000`).
 * - `TomlMetadata`: metadata.toml is read with serde; a file that is not valid TOML, or whose
 *   `run_in_transaction` is not a boolean, is ignored (`unwrap_or_default`: the migration runs in a
 *   transaction), and a valid file without the key gives `false` (the field's own default), so
 *   such a migration runs without one. pgwarden refuses the first two (the file says something
 *   diesel silently does not do) and warns about the third.
 * - migration_harness.rs: pending migrations are the folder's minus the versions recorded, run in
 *   version order (`MigrationVersion` compares its string: byte order); the folder is keyed by
 *   version, so two directories with one version leave diesel one of them — refused here. Each
 *   migration is run (`run_in_transaction = true`: inside one transaction with the INSERT of its
 *   version; `false`: the file, then the INSERT, each on its own), and reverted the same way with
 *   `down.sql` and a DELETE of its version. Without `down.sql` revert fails
 *   (`NoMigrationRevertFile`).
 * - `run_sql_from_file`: the file is sent whole with `batch_execute` (libpq PQexec, the simple
 *   query protocol), so several statements run as one implicit transaction even when
 *   `run_in_transaction = false`; an empty file (zero bytes) is refused ("Attempted to run an
 *   empty migration"), a byte-order mark is sent along (PostgreSQL refuses it as a syntax error).
 * - the table: diesel/src/migration/setup_migration_table.sql, created unqualified (in the
 *   connection's current schema) before every read; the row is the INSERT of `version` alone, so
 *   `run_on` is CURRENT_TIMESTAMP as a `timestamp` in the session's time zone, which
 *   PgConnection::establish sets to UTC (`SET TIME ZONE 'UTC'`). diesel takes no advisory lock.
 * - diesel_cli/src/config.rs: diesel.toml's `[migrations_directory] dir` names the folder,
 *   relative to the file (`diesel setup` writes it, often as an absolute path).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { checksumOf } from '../checksum.js';
import type {
  HistoryAdapter,
  HistoryContext,
  Migration,
  MigrationFormat,
  MigrationScript,
} from '../types.js';
import {
  compareUtf8,
  type DirEntry,
  deleteHistoryRow,
  detectTable,
  fileError,
  hasColumns,
  isCharacterType,
  listDirectory,
  listDirectoryQuietly,
  query,
  readText,
  resolveTable,
  startsWithBom,
  type TableRef,
  tableColumns,
  wholeFileScript,
} from './shared.js';

export const DIESEL_TABLE = '__diesel_schema_migrations';
const UP = 'up.sql';
const DOWN = 'down.sql';
const METADATA = 'metadata.toml';
const CONFIG = 'diesel.toml';
/** The migration `diesel setup` writes, present in almost every diesel project. */
const INITIAL_SETUP = '00000000000000_diesel_initial_setup';
/** The width of the version column. */
const VERSION_LENGTH = 50;

// ---------------------------------------------------------------------------------------------
// TOML

const require = createRequire(import.meta.url);
let toml: typeof import('smol-toml') | undefined;

/**
 * A TOML document as an object, or the parser's error. smol-toml is loaded on first use only: a
 * project without diesel files never pays for it (lint's start-up).
 */
function parseToml(text: string): { value: Record<string, unknown> } | { error: string } {
  toml ??= require('smol-toml') as typeof import('smol-toml');
  try {
    return { value: toml.parse(text) as Record<string, unknown> };
  } catch (error) {
    const parsed = error as { line?: number; column?: number; message?: string };
    const at = parsed.line === undefined ? '' : ` at line ${parsed.line}, column ${parsed.column}`;
    const reason = (parsed.message ?? String(error))
      .split('\n', 1)[0]!
      .replace(/^Invalid TOML document: /, '');
    return { error: `${reason}${at}` };
  }
}

/**
 * The migrations folder a diesel.toml in `projectDir` names (`[migrations_directory] dir`,
 * relative to the file), as an absolute path; undefined without such a file, key, or a file
 * diesel could read.
 */
export function dieselConfiguredDir(projectDir: string): string | undefined {
  if (!existsSync(join(projectDir, CONFIG))) return undefined;
  let text: string;
  try {
    text = readText(projectDir, CONFIG);
  } catch {
    return undefined;
  }
  const parsed = parseToml(text);
  if ('error' in parsed) return undefined;
  const section = parsed.value.migrations_directory as Record<string, unknown> | undefined;
  const dir = section?.dir;
  if (typeof dir !== 'string' || dir === '') return undefined;
  return isAbsolute(dir) ? dir : resolve(projectDir, dir);
}

// ---------------------------------------------------------------------------------------------
// Folder

/** `version_from_string`: the directory name before its first `_`, without `-`. */
export function dieselVersion(directory: string): string {
  return directory.split('_', 1)[0]!.replaceAll('-', '');
}

/**
 * USAGE error about a migration directory, or a `file` of it: `details.path` is the directory, so
 * `status` leaves the migration out whole.
 */
function directoryError(folder: string, problem: string, hint: string, file?: string): PgwardenError {
  return new PgwardenError('USAGE', `${folder}: ${file === undefined ? '' : `${file} `}${problem}`, {
    hint,
    details: { path: folder },
  });
}

/**
 * Whether the migration runs in a transaction, as diesel reads its metadata.toml (`files`: the
 * names of the directory's files); refuses the files diesel silently ignores, and warns about a
 * file without `run_in_transaction`.
 */
function runsInTransaction(
  folder: string,
  name: string,
  files: ReadonlySet<string>,
  warn: (message: string) => void,
): boolean {
  if (!files.has(METADATA)) return true;
  const parsed = parseToml(readText(folder, METADATA));
  const ignored =
    'diesel ignores a metadata.toml it cannot read and runs the migration in a transaction, so a `run_in_transaction = false` in it would not be honoured';
  const hint =
    'Write `run_in_transaction = false` (or `true`) as the only setting, or delete the file to run the migration in a transaction.';
  if ('error' in parsed) {
    throw fileError(folder, METADATA, `is not valid TOML (${parsed.error}); ${ignored}`, hint);
  }
  const value = parsed.value.run_in_transaction;
  if (value === undefined) {
    warn(
      `${name}/${METADATA} has no run_in_transaction: diesel then runs the migration without a transaction (the key defaults to false once the file exists), and so does pgwarden`,
    );
    return false;
  }
  if (typeof value !== 'boolean') {
    throw fileError(
      folder,
      METADATA,
      `run_in_transaction is ${JSON.stringify(value)}, not true or false; ${ignored}`,
      hint,
    );
  }
  return value;
}

function script(folder: string, file: string, text: string, transaction: boolean): MigrationScript {
  // diesel sends up.sql as one simple query (batch_execute)
  const untransacted = { transaction: false, sentAs: 'one-query' } as const;
  return { ...wholeFileScript(folder, file, text), ...(transaction ? {} : untransacted) };
}

/** The entries diesel takes for migration directories: not a regular file, not starting with `.`. */
function migrationEntries(entries: readonly DirEntry[]): DirEntry[] {
  return entries.filter((entry) => !entry.isFile && !entry.name.startsWith('.'));
}

/** The version of a migration directory, refusing one diesel cannot record. */
function versionOf(folder: string, name: string): string {
  const version = dieselVersion(name);
  if (version === '') {
    throw directoryError(
      folder,
      'the directory name has no version before its first "_"',
      'Name the directory <version>_<name>, e.g. 2024-01-05-093000_create_users (diesel migration generate does).',
    );
  }
  if ([...version].length > VERSION_LENGTH) {
    throw directoryError(
      folder,
      `version ${version} is longer than the ${VERSION_LENGTH} characters of diesel's version column`,
      'Shorten the part of the directory name before the first "_": diesel cannot record this migration.',
    );
  }
  return version;
}

function readFolder(dir: string, warn: (message: string) => void = () => {}): Migration[] {
  const directories = migrationEntries(listDirectory(dir)).map((entry) => entry.name);
  // a directory diesel cannot read is one without up.sql for diesel too
  const listings = new Map(directories.map((name) => [name, listDirectoryQuietly(join(dir, name))]));
  const missing = directories
    .filter((name) => !listings.get(name)!.some((entry) => entry.name === UP))
    .sort(compareUtf8);
  if (missing.length > 0) {
    const others = missing.slice(1).map((name) => `${name}/`);
    throw directoryError(
      join(dir, missing[0]!),
      `has no ${UP}${others.length ? ` (nor ${others.join(', ')})` : ''}; diesel refuses the whole folder then ("Invalid migration directory")`,
      `diesel takes every directory of the migrations folder for a migration. Add the ${UP}, or move the directory out (a name starting with "." is ignored).`,
    );
  }
  const byVersion = new Map<string, string>();
  for (const name of directories) {
    const folder = join(dir, name);
    const version = versionOf(folder, name);
    const other = byVersion.get(version);
    if (other !== undefined) {
      throw directoryError(
        folder,
        `has the same version ${version} as ${other}; diesel keys migrations by version, so it would run only one of them`,
        'Give each migration directory its own version.',
      );
    }
    byVersion.set(version, name);
  }
  const found = [...byVersion].sort(([a], [b]) => compareUtf8(a, b));
  return found.map(([version, name]) => {
    const folder = join(dir, name);
    const files = new Set(
      listings
        .get(name)!
        .filter((entry) => entry.isFile)
        .map((entry) => entry.name),
    );
    const text = readText(folder, UP);
    if (startsWithBom(folder, UP)) {
      throw directoryError(
        folder,
        'starts with a UTF-8 byte order mark; diesel sends the file as it is and PostgreSQL refuses the mark as a syntax error',
        'Save the file as UTF-8 without BOM.',
        UP,
      );
    }
    if (text === '') {
      throw directoryError(
        folder,
        'is empty; diesel refuses to run it ("Attempted to run an empty migration")',
        'Write the migration, or at least a comment (a file of comments is run, and recorded, as a migration that does nothing).',
        UP,
      );
    }
    const transaction = runsInTransaction(folder, name, files, warn);
    const underscore = name.indexOf('_');
    // an empty down.sql fails to revert in diesel just like a missing one: neither is a down
    const downText = files.has(DOWN) ? readText(folder, DOWN) : '';
    return {
      id: version,
      name: underscore === -1 ? '' : name.slice(underscore + 1),
      path: `${name}/${UP}`,
      up: script(folder, UP, text, transaction),
      ...(downText === '' ? {} : { down: script(folder, DOWN, downText, transaction) }),
      ...(files.has(METADATA) ? { otherFiles: [join(folder, METADATA)] } : {}),
      checksum: checksumOf(text),
    };
  });
}

/**
 * 3: a diesel folder by its marks (diesel.toml beside it, or the migration `diesel setup` writes);
 * 2: directories with an `up.sql`; else 0. A Prisma folder (`migration.sql` directories) is not
 * diesel's: its directories have no `up.sql`.
 */
function detectFolder(dir: string): number {
  const directories = migrationEntries(listDirectoryQuietly(dir));
  const withUp = directories.filter((entry) =>
    listDirectoryQuietly(join(dir, entry.name)).some((inner) => inner.isFile && inner.name === UP),
  );
  if (withUp.length === 0) return 0;
  const marked =
    withUp.some((entry) => entry.name === INITIAL_SETUP) || existsSync(join(dirname(resolve(dir)), CONFIG));
  return marked ? 3 : 2;
}

// ---------------------------------------------------------------------------------------------
// History

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, DIESEL_TABLE);
}

const history: HistoryAdapter = {
  async detect(ctx) {
    const columns = (await detectTable(ctx, table))?.columns;
    return hasColumns(columns, ['version', 'run_on']) && isCharacterType(columns?.get('version'));
  },

  /** `applied_migrations`, in version order; run_on is a UTC wall-clock time (diesel's session time zone). */
  async read(ctx) {
    const ref = await table(ctx);
    if (!(await tableColumns(ctx.client, ref))) return { exists: false, table: ref.display, applied: [] };
    const result = await query<{ version: string; run_on: Date }>(
      ctx.client,
      `SELECT version, run_on AT TIME ZONE 'UTC' AS run_on FROM ${ref.sql} ORDER BY version`,
      [],
      `${ref.display}: cannot read diesel's migration history`,
    );
    return {
      exists: true,
      table: ref.display,
      applied: result.rows.map((row) => ({
        id: row.version,
        appliedAt: row.run_on,
        state: 'applied' as const,
      })),
    };
  },

  /** setup_migration_table.sql, when the table is missing; like diesel, the schema is not created. */
  async ensure(ctx) {
    const ref = await table(ctx);
    if (await tableColumns(ctx.client, ref)) return;
    await query(
      ctx.client,
      `CREATE TABLE IF NOT EXISTS ${ref.sql} (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
      [],
      `${ref.display}: cannot create diesel's migration history table`,
    );
  },

  /** diesel's INSERT of the version; run_on as its default gives it in diesel's UTC session. */
  async markApplied(ctx, migration) {
    const ref = await table(ctx);
    await query(
      ctx.client,
      `INSERT INTO ${ref.sql} (version, run_on) VALUES ($1, CURRENT_TIMESTAMP AT TIME ZONE 'UTC')`,
      [migration.id],
      `${ref.display}: cannot record version ${migration.id} as applied`,
    );
  },

  /** `revert_migration`: the row of the version deleted. */
  async markRolledBack(ctx, migration) {
    await deleteHistoryRow(ctx.client, await table(ctx), 'version', migration.id);
  },
};

export const dieselFormat: MigrationFormat = {
  id: 'diesel',
  title: 'diesel',
  hasDown: true,
  detectFolder,
  read: readFolder,
  history,
};
