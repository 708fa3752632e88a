/**
 * node-pg-migrate (9.0) SQL migrations: `<digits>_<name>.sql` files with `-- Up Migration` and
 * `-- Down Migration` comments, recorded in `public.pgmigrations(id serial primary key,
 * name varchar(255) not null, run_on timestamp not null)`.
 *
 * Mirrors node-pg-migrate's dist code (node_modules/node-pg-migrate/dist/legacy):
 * - migration.js getMigrationFilePaths: every entry of the folder that is a file or symlink and
 *   does not match the ignore pattern `^\..*`; utils/comparators.js orders them by numeric prefix
 *   (17 digits = a UTC date) and then by a numeric, punctuation-blind locale comparison.
 * - migration.js: the migration's name is the file name without its extension.
 * - sqlMigration.js getActions: the markers are found with `^\s*--[\s-]*up\s+migration` (and
 *   `down`), case-insensitive, multi-line; each block runs from its marker (the match may start on
 *   blank lines before it) to the other marker or the end; without an up marker the whole file is
 *   the up migration; without a down marker there is none.
 * - runner.js: the table is created as above when missing, a primary key on `id` is added to an
 *   existing table that lacks one; applied rows are read `ORDER BY run_on, id`; applying inserts
 *   `(name, NOW())` in the migration's transaction; rolling back deletes by name; the advisory lock
 *   is the constant 7241865325823964.
 */
import { extname, join } from 'node:path';
import { checksumOf } from '../checksum.js';
import type { HistoryAdapter, HistoryContext, Migration, MigrationFormat } from '../types.js';
import {
  deleteHistoryRow,
  detectTable,
  fileError,
  fileNames,
  hasColumns,
  listDirectory,
  query,
  readText,
  resolveTable,
  someSqlFile,
  type TableRef,
  tableColumns,
} from './shared.js';

export const NODE_PG_MIGRATE_TABLE = 'pgmigrations';
export const NODE_PG_MIGRATE_SCHEMA = 'public';
export const NODE_PG_MIGRATE_LOCK_KEY = 7241865325823964n;

/** The extensions node-pg-migrate loads as JavaScript/TypeScript migrations. */
const SCRIPT_EXTENSIONS = new Set(['.js', '.ts', '.cjs', '.mjs', '.cts', '.mts']);
const IGNORED = /^\..*/;

const marker = (direction: 'up' | 'down') => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');

/** fileNameUtils.js getNumericPrefix: the leading digits; 17 digits are read as a UTC date. */
function numericPrefix(name: string): number | undefined {
  const prefix = /^(\d+)/.exec(name)?.[0];
  if (prefix === undefined) return undefined;
  if (prefix.length === 17) {
    const iso = `${prefix.slice(0, 4)}-${prefix.slice(4, 6)}-${prefix.slice(6, 8)}T${prefix.slice(8, 10)}:${prefix.slice(10, 12)}:${prefix.slice(12, 14)}.${prefix.slice(14, 17)}Z`;
    return new Date(iso).valueOf();
  }
  return Number(prefix);
}

/** comparators.js compareMigrationFileNames, for names that all have a numeric prefix. */
export function compareNodePgMigrateNames(a: string, b: string): number {
  return (
    numericPrefix(a)! - numericPrefix(b)! ||
    a.localeCompare(b, undefined, {
      usage: 'sort',
      numeric: true,
      sensitivity: 'variant',
      ignorePunctuation: true,
    })
  );
}

/** sqlMigration.js getActions, with where each block starts. */
export function splitNodePgMigrateSql(content: string): {
  up: string;
  upOffset: number;
  down?: { text: string; offset: number };
  hasUpMarker: boolean;
} {
  const upStart = content.search(marker('up'));
  const downStart = content.search(marker('down'));
  const up = upStart >= 0 ? content.slice(upStart, downStart < upStart ? undefined : downStart) : content;
  const down =
    downStart >= 0
      ? { text: content.slice(downStart, upStart < downStart ? undefined : upStart), offset: downStart }
      : undefined;
  return { up, upOffset: Math.max(upStart, 0), ...(down ? { down } : {}), hasUpMarker: upStart >= 0 };
}

function readNodePgMigrate(dir: string): Migration[] {
  const files = fileNames(listDirectory(dir)).filter((file) => !IGNORED.test(file));
  for (const file of files) {
    if (numericPrefix(file) === undefined) {
      throw fileError(
        dir,
        file,
        'has no numeric prefix, so node-pg-migrate cannot order it ("Cannot determine numeric prefix")',
        'Move files that are not migrations out of the migrations directory, or name the migration `<timestamp>_<name>.sql`.',
      );
    }
    const extension = extname(file).toLowerCase();
    if (extension !== '.sql') {
      throw fileError(
        dir,
        file,
        SCRIPT_EXTENSIONS.has(extension)
          ? 'is a JavaScript/TypeScript migration; pgwarden runs only node-pg-migrate SQL migrations'
          : `would be loaded by node-pg-migrate as a JavaScript migration (extension ${extension || 'none'}); pgwarden runs only SQL migrations`,
        'Write the migration as SQL with `-- Up Migration` / `-- Down Migration` sections, or run this folder with node-pg-migrate itself.',
      );
    }
  }
  files.sort(compareNodePgMigrateNames);
  return files.map((file) => {
    const path = join(dir, file);
    const text = readText(dir, file);
    const split = splitNodePgMigrateSql(text);
    if (!split.hasUpMarker && split.down) {
      throw fileError(
        dir,
        file,
        "has a '-- Down Migration' section but no '-- Up Migration' line, so node-pg-migrate would run the whole file, down section included, as the up migration",
        'Add a `-- Up Migration` line above the up SQL.',
      );
    }
    const name = file.slice(0, file.length - extname(file).length);
    return {
      id: name,
      name: name.replace(/^\d+[_-]?/, ''),
      path: file,
      up: { path, text: split.up, offset: split.upOffset },
      ...(split.down ? { down: { path, text: split.down.text, offset: split.down.offset } } : {}),
      checksum: checksumOf(split.up),
    };
  });
}

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, NODE_PG_MIGRATE_TABLE, NODE_PG_MIGRATE_SCHEMA);
}

export const nodePgMigrateHistory: HistoryAdapter = {
  async detect(ctx) {
    return hasColumns((await detectTable(ctx, table))?.columns, ['id', 'name', 'run_on']);
  },

  async read(ctx) {
    const ref = await table(ctx);
    if (!(await tableColumns(ctx.client, ref))) return { exists: false, table: ref.display, applied: [] };
    const result = await query<{ name: string; run_on: Date }>(
      ctx.client,
      `SELECT name, run_on FROM ${ref.sql} ORDER BY run_on, id`,
      [],
      `${ref.display}: cannot read node-pg-migrate's migration history`,
    );
    return {
      exists: true,
      table: ref.display,
      applied: result.rows.map((row) => ({ id: row.name, appliedAt: row.run_on, state: 'applied' as const })),
    };
  },

  async ensure(ctx) {
    const ref = await table(ctx);
    const what = `${ref.display}: cannot create node-pg-migrate's migration history table`;
    if (await tableColumns(ctx.client, ref)) {
      const keys = await query(
        ctx.client,
        `SELECT 1 FROM pg_catalog.pg_constraint
          WHERE conrelid = (SELECT c.oid FROM pg_catalog.pg_class c
                              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = $1 AND c.relname = $2)
            AND contype = 'p'`,
        [ref.schema, ref.name],
        what,
      );
      if (keys.rowCount === 0)
        await query(ctx.client, `ALTER TABLE ${ref.sql} ADD PRIMARY KEY (id)`, [], what);
      return;
    }
    await query(
      ctx.client,
      `CREATE TABLE ${ref.sql} (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)`,
      [],
      what,
    );
  },

  async markApplied(ctx, migration) {
    const ref = await table(ctx);
    await query(
      ctx.client,
      `INSERT INTO ${ref.sql} (name, run_on) VALUES ($1, NOW())`,
      [migration.id],
      `${ref.display}: cannot record ${migration.id} as applied`,
    );
  },

  async markRolledBack(ctx, migration) {
    await deleteHistoryRow(ctx.client, await table(ctx), 'name', migration.id);
  },

  async lockKeys() {
    return [NODE_PG_MIGRATE_LOCK_KEY];
  },
};

export const nodePgMigrateFormat: MigrationFormat = {
  id: 'node-pg-migrate',
  title: 'node-pg-migrate',
  hasDown: true,
  detectFolder(dir) {
    return someSqlFile(dir, (text) => marker('up').test(text)) ? 2 : 0;
  },
  read: readNodePgMigrate,
  history: nodePgMigrateHistory,
};
