/**
 * Prisma Migrate: `migrations/<timestamp>_<name>/migration.sql` directories next to
 * `migration_lock.toml`, recorded in `_prisma_migrations` exactly as the Prisma schema engine
 * records them, so `prisma migrate deploy/status/resolve` keep working after pgwarden ran.
 *
 * Sources (prisma/prisma-engines unless noted):
 * - table DDL: schema-engine/connectors/sql-schema-connector/src/flavour/postgres.rs
 *   (`create_migrations_table`), lock `pg_advisory_lock(72707369)` (`acquire_lock`);
 * - row writes: .../sql-schema-connector/src/sql_migration_persistence.rs;
 * - deploy protocol: schema-engine/core/src/commands/apply_migrations.rs (insert the row with
 *   started_at, run the script, `applied_steps_count + 1`, then `finished_at`);
 * - `migrate resolve`: .../commands/mark_migration_applied.rs and mark_migration_rolled_back.rs;
 * - checksums: schema-engine/connectors/schema-connector/src/checksum.rs;
 * - folder listing: prisma/prisma packages/migrate/src/utils/listMigrations.ts (every
 *   sub-directory is a migration, sorted with `localeCompare`, `migration.sql` read as UTF-8
 *   without stripping a byte-order mark).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { readSqlFile } from '../../sql/source.js';
import { checksumOf } from '../checksum.js';
import type { AppliedRecord, HistoryAdapter, HistoryContext, Migration, MigrationFormat } from '../types.js';
import {
  detectTable,
  hasColumns,
  listDirectory,
  listDirectoryQuietly,
  readText,
  resolveTable,
  startsWithBom,
  type TableRef,
  tableColumns,
  wholeFileScript,
} from './shared.js';

const TABLE = '_prisma_migrations';
const LOCK_FILE = 'migration_lock.toml';
const SCRIPT = 'migration.sql';
/** Prisma's advisory-lock key (postgres.rs `acquire_lock`). */
export const PRISMA_LOCK_KEY = 72707369n;

/** The script exactly as Prisma reads it (byte-order mark kept), for Prisma's checksum. */
const prismaScripts = new WeakMap<Migration, string>();

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, TABLE);
}

/** The text Prisma checksums: the file as read, with a byte-order mark if the file has one. */
function prismaScript(migration: Migration): string {
  return prismaScripts.get(migration) ?? migration.up.text;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Prisma's obsolete checksum rendering: each byte as hex without zero padding (prisma-engines#1887). */
function sha256HexUnpadded(text: string): string {
  return [...createHash('sha256').update(text, 'utf8').digest()].map((byte) => byte.toString(16)).join('');
}

/** Prisma's `script_matches_checksum`: the script as read, with CRLF→LF, and with LF→CRLF. */
export function prismaChecksumMatches(script: string, stored: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  const legacy = stored !== '' && stored.length !== 64;
  return variants.some((variant) => (legacy ? sha256HexUnpadded(variant) : sha256Hex(variant)) === stored);
}

/** The SHA-256 hex Prisma stores for a migration script. */
export function prismaChecksum(script: string): string {
  return sha256Hex(script);
}

function readFolder(dir: string): Migration[] {
  const entries = listDirectory(dir);
  if (entries.some((entry) => entry.isFile && entry.name === LOCK_FILE)) checkLockFile(join(dir, LOCK_FILE));
  const directories = entries.filter((entry) => entry.isDirectory).map((entry) => entry.name);
  const missing = directories.filter((name) => !existsSync(join(dir, name, SCRIPT)));
  if (missing.length > 0) {
    throw new PgwardenError(
      'USAGE',
      `${dir}: ${missing.map((name) => `${name}/`).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no ${SCRIPT}`,
      {
        hint: `Every directory in a Prisma migrations folder is a migration and needs ${SCRIPT} (Prisma itself fails with "Failed to read migration script"). Add the script or move the directory out.`,
        details: { dir, directories: missing },
      },
    );
  }
  // listMigrations.ts: `migrationDirectories.sort((a, b) => a.path.localeCompare(b.path))`.
  directories.sort((a, b) => a.localeCompare(b));
  return directories.map((name) => {
    const folder = join(dir, name);
    const text = readText(folder, SCRIPT);
    const underscore = name.indexOf('_');
    const migration: Migration = {
      id: name,
      name: underscore === -1 ? name : name.slice(underscore + 1),
      path: `${name}/${SCRIPT}`,
      up: wholeFileScript(folder, SCRIPT, text),
      checksum: checksumOf(text),
    };
    prismaScripts.set(migration, startsWithBom(folder, SCRIPT) ? `\uFEFF${text}` : text);
    return migration;
  });
}

/**
 * Prisma refuses a folder whose lock file names another provider (P3019). It reads the first line
 * starting with `provider` and strips `provider = ` and the quotes (migrations_directory.rs).
 */
function checkLockFile(path: string): void {
  const { text } = readSqlFile(path);
  const line = text.split(/\r?\n/).find((candidate) => candidate.startsWith('provider'));
  if (line === undefined) return;
  let provider = line.startsWith('provider = ') ? line.slice('provider = '.length) : line;
  provider = provider.replace(/^"+|"+$/g, '');
  if (provider !== 'postgresql') {
    throw new PgwardenError('USAGE', `${path}: the migrations were generated for provider "${provider}"`, {
      hint: 'pgwarden runs PostgreSQL migrations; this Prisma folder was made for another database.',
    });
  }
}

function detectFolder(dir: string): number {
  const entries = listDirectoryQuietly(dir);
  if (entries.some((entry) => entry.isFile && entry.name === LOCK_FILE)) return 3;
  const looksLikeMigration = entries.some(
    (entry) => entry.isDirectory && /^\d+_/.test(entry.name) && existsSync(join(dir, entry.name, SCRIPT)),
  );
  return looksLikeMigration ? 2 : 0;
}

interface PrismaRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

async function rowsFor(ctx: HistoryContext, t: TableRef, name?: string): Promise<PrismaRow[]> {
  const filter = name === undefined ? '' : 'WHERE migration_name = $1';
  const { rows } = await ctx.client.query<PrismaRow>(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
       FROM ${t.sql} ${filter} ORDER BY started_at, id`,
    name === undefined ? [] : [name],
  );
  return rows;
}

/** The DDL of `create_migrations_table` (postgres.rs), with the table qualified. */
function createTableSql(t: TableRef): string {
  return `CREATE TABLE ${t.sql} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;
}

async function ensureTable(ctx: HistoryContext, t: TableRef): Promise<void> {
  if ((await tableColumns(ctx.client, t)) !== undefined) return;
  await ctx.client.query(createTableSql(t));
}

/** Failed rows: not finished and not rolled back (apply_migrations.rs `detect_failed_migrations`). */
function isFailed(row: PrismaRow): boolean {
  return row.finished_at === null && row.rolled_back_at === null;
}

const history: HistoryAdapter = {
  async detect(ctx) {
    return hasColumns((await detectTable(ctx, table))?.columns, [
      'checksum',
      'finished_at',
      'migration_name',
    ]);
  },

  async read(ctx) {
    const t = await table(ctx);
    if ((await tableColumns(ctx.client, t)) === undefined) {
      return { exists: false, table: t.display, applied: [] };
    }
    const applied: AppliedRecord[] = (await rowsFor(ctx, t))
      .filter((row) => row.rolled_back_at === null)
      .map((row) => {
        if (row.finished_at !== null) {
          return {
            id: row.migration_name,
            checksum: row.checksum,
            appliedAt: row.finished_at,
            state: 'applied',
          };
        }
        const logs = row.logs?.trim();
        return {
          id: row.migration_name,
          checksum: row.checksum,
          appliedAt: row.started_at,
          state: 'failed',
          detail: logs
            ? logs
            : `started at ${row.started_at.toISOString()} and never finished (no logs recorded)`,
        };
      });
    return { exists: true, table: t.display, applied };
  },

  async ensure(ctx) {
    await ensureTable(ctx, await table(ctx));
  },

  /**
   * `record_migration_started`: the row with id, checksum, started_at and migration_name only
   * (finished_at NULL, logs NULL, applied_steps_count 0). An unfinished row for this migration
   * with no logs is what this writes, so it is kept rather than duplicated (a resumed run; the
   * native table cannot tell it from a Prisma run that died, which Prisma would also leave so).
   * A row where Prisma recorded a failure (logs set) must be resolved first.
   */
  async markStarted(ctx, migration, info) {
    const t = await table(ctx);
    const unfinished = (await rowsFor(ctx, t, migration.id)).filter(isFailed);
    if (unfinished.some((row) => row.logs === null)) return;
    const failed = unfinished[0];
    if (failed) {
      throw new PgwardenError('USAGE', `${t.display}: migration ${migration.id} is recorded as failed`, {
        hint: `Prisma refuses to continue from it too (P3009). Check the database, then resolve it as applied or rolled back. Prisma's log: ${failed.logs?.trim() ?? ''}`,
      });
    }
    await ctx.client.query(
      `INSERT INTO ${t.sql} (id, checksum, started_at, migration_name) VALUES ($1, $2, $3, $4)`,
      [randomUUID(), prismaChecksum(prismaScript(migration)), info.startedAt, migration.id],
    );
  },

  /**
   * The row `migrate deploy` leaves after a successful script: finished_at set,
   * applied_steps_count 1, logs and rolled_back_at NULL. Finishes the row markStarted wrote if
   * there is one (`record_successful_step` + `record_migration_finished`), else inserts it whole.
   * The finished row takes the checksum of the script that completed: a resumed run may finish a
   * script whose not-yet-applied statements were fixed after the interruption, and Prisma compares
   * the stored checksum with the file (`migrate status` / `migrate dev` report an edited migration).
   */
  async markApplied(ctx, migration, info) {
    const t = await table(ctx);
    const finishedAt = new Date();
    const checksum = prismaChecksum(prismaScript(migration));
    const started = (await rowsFor(ctx, t, migration.id)).filter((row) => isFailed(row) && row.logs === null);
    const row = started.at(-1);
    if (row) {
      await ctx.client.query(
        `UPDATE ${t.sql} SET applied_steps_count = applied_steps_count + 1, finished_at = $2, checksum = $3
          WHERE id = $1`,
        [row.id, finishedAt, checksum],
      );
      return;
    }
    await ctx.client.query(
      `INSERT INTO ${t.sql} (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, $4, $5, 1)`,
      [randomUUID(), checksum, finishedAt, migration.id, info.startedAt],
    );
  },

  /** `prisma migrate resolve --applied / --rolled-back`, with Prisma's refusals (P3008, P3011, P3012). */
  async resolve(ctx, migration, as) {
    const t = await table(ctx);
    const now = new Date();
    if (as === 'applied') {
      await ensureTable(ctx, t);
      const rows = await rowsFor(ctx, t, migration.id);
      if (rows.some((row) => row.finished_at !== null)) {
        throw new PgwardenError(
          'USAGE',
          `${t.display}: migration ${migration.id} is already recorded as applied`,
          {
            hint: 'Nothing to resolve (Prisma refuses this too, P3008).',
          },
        );
      }
      const failed = rows.filter(isFailed);
      for (const row of failed) {
        await ctx.client.query(`UPDATE ${t.sql} SET rolled_back_at = $2 WHERE id = $1`, [row.id, now]);
      }
      await ctx.client.query(
        `INSERT INTO ${t.sql} (id, checksum, logs, started_at, finished_at, migration_name)
         VALUES ($1, $2, '', $3, $3, $4)`,
        [randomUUID(), prismaChecksum(prismaScript(migration)), now, migration.id],
      );
      const marked = failed.length > 0 ? `marked ${failed.length} failed row(s) rolled back and ` : '';
      return `${t.display}: ${marked}recorded ${migration.id} as applied`;
    }
    const rows = (await tableColumns(ctx.client, t)) === undefined ? [] : await rowsFor(ctx, t, migration.id);
    if (rows.length === 0) {
      throw new PgwardenError('USAGE', `${t.display}: migration ${migration.id} was never applied`, {
        hint: 'Only a failed migration can be resolved as rolled back (Prisma P3011).',
      });
    }
    const failed = rows.filter(isFailed);
    if (failed.length === 0) {
      throw new PgwardenError('USAGE', `${t.display}: migration ${migration.id} is not in a failed state`, {
        hint: 'A successful Prisma migration cannot be marked rolled back (Prisma P3012); write a new migration that undoes it.',
      });
    }
    for (const row of failed) {
      await ctx.client.query(`UPDATE ${t.sql} SET rolled_back_at = $2 WHERE id = $1`, [row.id, now]);
    }
    return `${t.display}: marked ${failed.length} failed row(s) of ${migration.id} rolled back`;
  },

  nativeChecksum(migration) {
    return prismaChecksum(prismaScript(migration));
  },

  checksumMatches(migration, stored) {
    return prismaChecksumMatches(prismaScript(migration), stored);
  },

  async lockKeys() {
    return [PRISMA_LOCK_KEY];
  },
};

export const prismaFormat: MigrationFormat = {
  id: 'prisma',
  title: 'Prisma Migrate',
  hasDown: false,
  detectFolder,
  read: readFolder,
  history,
};
