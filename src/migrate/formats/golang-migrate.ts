/**
 * golang-migrate (postgres driver): `<version>_<title>.up.sql` / `.down.sql` files, applied in
 * numeric version order, recorded as a single high-water-mark row in
 * `schema_migrations(version bigint not null primary key, dirty boolean not null)`.
 *
 * Read from golang-migrate's source (golang-migrate/migrate):
 * - source/parse.go: file names match `^([0-9]+)_(.*)\.(down|up)\.(.*)$`, the version is the
 *   number (ParseUint), so `0001` is version 1 and the table stores 1; `id` here is that decimal
 *   number everywhere. source/migration.go refuses two files with the same version and direction.
 * - database/postgres/postgres.go SetVersion: one transaction that TRUNCATEs the table and INSERTs
 *   (version, dirty) — nothing when the version is NilVersion (-1) and clean. migrate.go sets
 *   (target, dirty = true), runs the file, then sets (target, dirty = false), so a failure leaves
 *   the version dirty and every later command refuses until `migrate force V`.
 * - ensureVersionTable: created only when information_schema.tables has no such table.
 * - Lock: database/util.go GenerateAdvisoryLockId(databaseName, schema, table) = CRC32-IEEE of
 *   `databaseName \0 schema \0 table`, times 1486364155 in uint32 arithmetic. Open(url) passes the
 *   URL's path as databaseName — with its leading slash (`/app`) — while WithInstance without a
 *   DatabaseName uses current_database() (`app`); see `golangMigrateLockKeys`.
 *
 * Only the current version is stored, so every migration at or below it counts as applied:
 * `golangMigrateFormat.highWaterMark` says so and `expandHighWaterMark` turns the single row into
 * one record per migration for the runner.
 */
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { checksumOf } from '../checksum.js';
import type {
  AppliedRecord,
  HistoryAdapter,
  HistoryContext,
  HistoryState,
  Migration,
  MigrationFormat,
} from '../types.js';
import {
  detectTable,
  fileError,
  fileNames,
  listDirectory,
  listDirectoryQuietly,
  query,
  readText,
  resolveTable,
  type TableRef,
  tableColumns,
  wholeFileScript,
} from './shared.js';

/** source/parse.go Regex. */
const MIGRATION_FILE = /^([0-9]+)_(.*)\.(down|up)\.(.*)$/;
const MAX_BIGINT = 2n ** 63n - 1n;
const LOCK_SALT = 1486364155n;

export const GOLANG_MIGRATE_TABLE = 'schema_migrations';

/** golang-migrate's GenerateAdvisoryLockId, as a bigint (the decimal string it sends to pg_advisory_lock). */
export function golangMigrateAdvisoryLockId(databaseName: string, ...additionalNames: string[]): bigint {
  const sum = crc32(Buffer.from([databaseName, ...additionalNames].join('\0'), 'utf8'));
  return (BigInt(sum) * LOCK_SALT) & 0xffffffffn;
}

interface VersionFiles {
  version: bigint;
  up?: { file: string; title: string };
  down?: { file: string };
}

function readGolangMigrate(dir: string): Migration[] {
  const versions = new Map<bigint, VersionFiles>();
  for (const file of fileNames(listDirectory(dir))) {
    const match = MIGRATION_FILE.exec(file);
    if (!match) continue;
    const [, digits, title, direction, extension] = match as unknown as [
      string,
      string,
      string,
      'up' | 'down',
      string,
    ];
    const version = BigInt(digits);
    if (version > MAX_BIGINT) {
      throw fileError(
        dir,
        file,
        `version ${digits} does not fit golang-migrate's bigint version column`,
        'Use a smaller version number (golang-migrate usually numbers 000001, 000002, … or uses a Unix timestamp).',
      );
    }
    if (extension !== 'sql') {
      throw fileError(
        dir,
        file,
        `golang-migrate would run this file as the ${direction} migration of version ${version} (it accepts any extension), but pgwarden runs only .sql files`,
        `Rename it to ${digits}_${title}.${direction}.sql, or move it out of the migrations directory.`,
      );
    }
    const entry = versions.get(version) ?? { version };
    const other = entry[direction]?.file;
    if (other !== undefined) {
      throw fileError(
        dir,
        file,
        `is a second ${direction} migration for version ${version} (with ${other}); golang-migrate refuses the folder ("duplicate migration file")`,
        'Give one of the two files another version number.',
      );
    }
    if (direction === 'up') entry.up = { file, title };
    else entry.down = { file };
    versions.set(version, entry);
  }
  return [...versions.values()]
    .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))
    .map(({ version, up, down }) => {
      if (!up) {
        throw fileError(
          dir,
          down!.file,
          `is a down migration without an up migration for version ${version}`,
          `Add the up file (${down!.file.replace(/\.down\./, '.up.')}), or delete this one.`,
        );
      }
      const upScript = wholeFileScript(dir, up.file, readText(dir, up.file));
      return {
        id: version.toString(),
        name: up.title,
        path: up.file,
        up: upScript,
        ...(down ? { down: wholeFileScript(dir, down.file) } : {}),
        checksum: checksumOf(upScript.text),
      };
    });
}

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, GOLANG_MIGRATE_TABLE);
}

function versionOf(migration: Migration | undefined): bigint | undefined {
  if (migration === undefined) return undefined;
  if (!/^-?\d+$/.test(migration.id)) {
    throw new PgwardenError(
      'INTERNAL',
      `golang-migrate: migration id "${migration.id}" is not a version number`,
    );
  }
  return BigInt(migration.id);
}

/**
 * postgres.go SetVersion without its own transaction: TRUNCATE, then INSERT (version, dirty) unless
 * there is no version left and the state is clean. `undefined` is golang-migrate's NilVersion (-1).
 */
async function setVersion(
  ctx: HistoryContext,
  ref: TableRef,
  version: bigint | undefined,
  dirty: boolean,
): Promise<void> {
  const what = `${ref.display}: cannot set golang-migrate's version to ${version ?? -1}${dirty ? ' (dirty)' : ''}`;
  await query(ctx.client, `TRUNCATE ${ref.sql}`, [], what);
  if (version !== undefined || dirty) {
    await query(
      ctx.client,
      `INSERT INTO ${ref.sql} (version, dirty) VALUES ($1, $2)`,
      [(version ?? -1n).toString(), dirty],
      what,
    );
  }
}

/** SetVersion with its own transaction, as golang-migrate commits it. Needs no transaction open. */
async function setVersionCommitted(
  ctx: HistoryContext,
  ref: TableRef,
  version: bigint | undefined,
  dirty: boolean,
): Promise<void> {
  await query(ctx.client, 'BEGIN', [], `${ref.display}: cannot start a transaction`);
  try {
    await setVersion(ctx, ref, version, dirty);
    await query(ctx.client, 'COMMIT', [], `${ref.display}: cannot commit the version change`);
  } catch (error) {
    await ctx.client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The version just below `migration` among the files of its folder (for `resolve … rolled-back`). */
function previousVersion(migration: Migration): bigint | undefined {
  const version = versionOf(migration)!;
  let previous: bigint | undefined;
  for (const other of readGolangMigrate(dirname(migration.up.path))) {
    const v = BigInt(other.id);
    if (v < version && (previous === undefined || v > previous)) previous = v;
  }
  return previous;
}

export const golangMigrateHistory: HistoryAdapter = {
  async detect(ctx) {
    const columns = (await detectTable(ctx, table))?.columns;
    return columns?.get('version') === 'bigint' && columns.get('dirty') === 'boolean';
  },

  async read(ctx) {
    const ref = await table(ctx);
    if (!(await tableColumns(ctx.client, ref))) return { exists: false, table: ref.display, applied: [] };
    const result = await query<{ version: string; dirty: boolean }>(
      ctx.client,
      `SELECT version, dirty FROM ${ref.sql} ORDER BY version DESC`,
      [],
      `${ref.display}: cannot read golang-migrate's version`,
    );
    const [current] = result.rows;
    if (!current) return { exists: true, table: ref.display, applied: [] };
    const record: AppliedRecord = {
      id: String(current.version),
      state: current.dirty ? 'failed' : 'applied',
    };
    if (result.rows.length > 1) {
      record.state = 'failed';
      record.detail = `golang-migrate keeps a single row, but ${ref.display} has ${result.rows.length} (versions ${result.rows.map((row) => row.version).join(', ')})`;
    } else if (current.dirty) {
      record.detail =
        current.version === '-1'
          ? 'dirty version -1: a down migration of the first version failed'
          : `dirty version ${current.version}: the migration started and did not finish`;
    }
    return { exists: true, table: ref.display, applied: [record] };
  },

  async ensure(ctx) {
    const ref = await table(ctx);
    if (await tableColumns(ctx.client, ref)) return;
    // Like ensureVersionTable, the schema is not created: golang-migrate expects it to exist.
    await query(
      ctx.client,
      `CREATE TABLE IF NOT EXISTS ${ref.sql} (version bigint not null primary key, dirty boolean not null)`,
      [],
      `${ref.display}: cannot create golang-migrate's version table`,
    );
  },

  /** SetVersion(V, dirty = true), in the caller's transaction (the runner commits it before the script runs). */
  async markStarted(ctx, migration) {
    await setVersion(ctx, await table(ctx), versionOf(migration), true);
  },

  async markApplied(ctx, migration) {
    await setVersion(ctx, await table(ctx), versionOf(migration), false);
  },

  async markRolledBack(ctx, _migration, previous) {
    await setVersion(ctx, await table(ctx), versionOf(previous), false);
  },

  async resolve(ctx, migration, as) {
    const ref = await table(ctx);
    const version = as === 'applied' ? versionOf(migration) : previousVersion(migration);
    await setVersionCommitted(ctx, ref, version, false);
    return version === undefined
      ? `${ref.display}: emptied (like \`migrate force -1\`): no migration counts as applied`
      : `${ref.display}: version set to ${version}, clean (like \`migrate force ${version}\`)`;
  },

  /** Both keys: the `migrate` CLI and a program using WithInstance hash the database name differently. */
  async lockKeys(ctx) {
    return golangMigrateLockKeys(ctx);
  },
};

/**
 * The two lock keys golang-migrate's postgres driver may use for this table: `[url, instance]`.
 * `url` is what the `migrate` CLI and `migrate.New(source, databaseURL)` take (the database name
 * is the URL path, leading slash included); `instance` is what `postgres.WithInstance(db, &Config{})`
 * takes (current_database()). A runner that wants to exclude both should hold both.
 */
export async function golangMigrateLockKeys(ctx: HistoryContext): Promise<[bigint, bigint]> {
  const ref = await table(ctx);
  const result = await query<{ name: string }>(
    ctx.client,
    'SELECT current_database() AS name',
    [],
    `${ref.display}: cannot read the database name`,
  );
  const name = result.rows[0]!.name;
  return [
    golangMigrateAdvisoryLockId(`/${name}`, ref.schema, ref.name),
    golangMigrateAdvisoryLockId(name, ref.schema, ref.name),
  ];
}

/**
 * Turns golang-migrate's single high-water-mark row into one record per migration, as golang-migrate
 * sees them: every migration below the stored version is applied, the stored version itself is
 * applied or (dirty) failed. A stored version without a file is kept as a record of its own, so the
 * runner can report it as missing.
 */
export function expandHighWaterMark(
  migrations: readonly Migration[],
  history: HistoryState,
): AppliedRecord[] {
  const [current] = history.applied;
  if (!current) return [];
  const mark = BigInt(current.id);
  const records: AppliedRecord[] = [];
  for (const migration of migrations) {
    const version = BigInt(migration.id);
    if (version < mark) records.push({ id: migration.id, state: 'applied' });
  }
  records.push(current);
  return records;
}

/** A format whose history stores only the latest version (everything at or below it is applied). */
export interface HighWaterMarkFormat extends MigrationFormat {
  highWaterMark: true;
}

export function hasHighWaterMark(format: MigrationFormat): format is HighWaterMarkFormat {
  return (format as Partial<HighWaterMarkFormat>).highWaterMark === true;
}

export const golangMigrateFormat: HighWaterMarkFormat = {
  id: 'golang-migrate',
  title: 'golang-migrate',
  hasDown: true,
  highWaterMark: true,
  detectFolder(dir) {
    return fileNames(listDirectoryQuietly(dir)).some(
      (file) => /\.up\.sql$/.test(file) && MIGRATION_FILE.test(file),
    )
      ? 2
      : 0;
  },
  read: readGolangMigrate,
  history: golangMigrateHistory,
};
