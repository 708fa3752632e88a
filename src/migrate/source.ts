/**
 * Finding the migrations: the folder (option, config, or a well-known place), its format
 * (configured, else detected from the folder's markers and, when they are not decisive, from the
 * history table in the database, by its columns), and the migrations in the tool's order.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { FORMATS } from './formats/index.js';
import { checkSource } from './source-checks.js';
import { FORMAT_IDS, type FormatId, type Migration, type MigrationFormat } from './types.js';

/** Where migrations usually live, in the order they are looked for. */
export const DEFAULT_MIGRATION_DIRS = [
  'migrations',
  'db/migrations',
  'prisma/migrations',
  'supabase/migrations',
  'db/migration',
  'sql/migrations',
  'src/main/resources/db/migration',
];

export interface LoadMigrationsOptions {
  cwd: string;
  /** The migrations directory (relative to cwd); default: the first well-known one that exists. */
  dir?: string | undefined;
  /** A format id, or `auto`/undefined to detect. */
  format?: string | undefined;
  /** When given, the history table in this database settles an ambiguous folder. */
  client?: pg.Client | undefined;
  /** History table override (`migrations.table`). */
  table?: string | undefined;
}

export interface MigrationSource {
  format: MigrationFormat;
  /** Absolute path of the migrations directory. */
  dir: string;
  migrations: Migration[];
  /** How the format was chosen. */
  detectedBy: 'option' | 'folder' | 'database';
  /** Files the tool skips, as it says (shown by the commands; nothing refused). */
  warnings?: string[];
  table?: string | undefined;
}

export async function loadMigrations(options: LoadMigrationsOptions): Promise<MigrationSource> {
  const dir = findDir(options.cwd, options.dir);
  const requested = options.format && options.format !== 'auto' ? options.format : undefined;
  let format: MigrationFormat;
  let detectedBy: MigrationSource['detectedBy'];
  if (requested) {
    if (!(FORMAT_IDS as readonly string[]).includes(requested)) {
      throw new PgwardenError('USAGE', `unknown migration format "${requested}"`, {
        hint: `Use one of: auto, ${FORMAT_IDS.join(', ')}.`,
      });
    }
    format = FORMATS[requested as FormatId];
    detectedBy = 'option';
  } else {
    ({ format, detectedBy } = await detectFormat(dir, options.client, options.table));
  }
  const warnings: string[] = [];
  const migrations = format.read(dir, (message) => warnings.push(message));
  checkSource(format, dir, migrations, detectedBy);
  return { format, dir, migrations, detectedBy, table: options.table, warnings };
}

function findDir(cwd: string, dir: string | undefined): string {
  if (dir) {
    const path = resolve(cwd, dir);
    if (!existsSync(path)) {
      throw new PgwardenError('PATH_NOT_FOUND', `${dir}: migrations directory not found`, {
        hint: 'Check --dir or migrations.dir in pgwarden.config.json.',
      });
    }
    if (!statSync(path).isDirectory()) {
      throw new PgwardenError('USAGE', `${dir}: not a directory`, {
        hint: 'Give the directory that holds the migrations, not a file.',
      });
    }
    return path;
  }
  const found = defaultMigrationsDir(cwd);
  if (!found) {
    throw new PgwardenError('USAGE', 'no migrations directory found', {
      hint: `Pass --dir <dir> or set migrations.dir in pgwarden.config.json. Looked for: ${DEFAULT_MIGRATION_DIRS.join(', ')}.`,
    });
  }
  return found;
}

/**
 * Picks the format of `dir`. The database decides first: a tool's history table (recognised by
 * its columns) for a tool that can read the folder means that tool applied it — node-pg-migrate
 * files without section markers look like plain SQL, and dbmate and golang-migrate share a table
 * name. Without such evidence, the strongest folder marker wins; a tie is an error.
 */
export async function detectFormat(
  dir: string,
  client: pg.Client | undefined,
  table: string | undefined,
): Promise<{ format: MigrationFormat; detectedBy: 'folder' | 'database' }> {
  const scored = Object.values(FORMATS)
    .map((format) => ({ format, score: format.detectFolder(dir) }))
    .sort((a, b) => b.score - a.score);
  if (client) {
    const inDatabase: Array<{ format: MigrationFormat; score: number }> = [];
    for (const entry of scored) {
      if (entry.format.id === 'plain' || !(await entry.format.history.detect({ client, table }))) continue;
      if (readsFolder(entry.format, dir)) inDatabase.push(entry);
    }
    const best = inDatabase.filter((e) => e.score === inDatabase[0]?.score);
    if (best.length === 1) return { format: best[0]!.format, detectedBy: 'database' };
  }
  const known = scored.filter((entry) => entry.score > 0);
  // a project's first day: the folder is there, nothing in it yet (a .gitkeep at most); nothing is
  // pending in any format, so pgwarden's own history serves until the first migration shows its layout
  if (known.length === 0 && readdirSync(dir).every((name) => name.startsWith('.')))
    return { format: FORMATS.plain, detectedBy: 'folder' };
  if (known.length === 0) {
    throw new PgwardenError('USAGE', `${dir}: no migrations of a known format found`, {
      hint: `Expected e.g. 001_name.sql files; set migrations.format (${FORMAT_IDS.join(', ')}) if the folder uses another layout.`,
    });
  }
  const tied = known.filter((entry) => entry.score === known[0]!.score);
  if (tied.length > 1) {
    throw new PgwardenError(
      'USAGE',
      `${dir}: the folder could be ${tied.map((t) => t.format.title).join(' or ')}, and the database does not tell`,
      { hint: 'Set migrations.format in pgwarden.config.json (or pass --format).' },
    );
  }
  return { format: known[0]!.format, detectedBy: 'folder' };
}

/** The first well-known migrations directory under `cwd` that exists. */
export function defaultMigrationsDir(cwd: string): string | undefined {
  return DEFAULT_MIGRATION_DIRS.map((d) => join(cwd, d)).find(
    (d) => existsSync(d) && statSync(d).isDirectory(),
  );
}

/** Whether the format reads at least one migration from the folder without error. */
function readsFolder(format: MigrationFormat, dir: string): boolean {
  try {
    return format.read(dir).length > 0;
  } catch {
    return false;
  }
}

/** Finds a migration by id, name, file or directory name (with or without `.sql`). */
export function findMigration(migrations: readonly Migration[], ref: string): Migration {
  const wanted = ref.replace(/\\/g, '/').replace(/\/$/, '');
  const base = basename(wanted);
  const found =
    migrations.find((m) => m.id === wanted) ??
    migrations.find((m) => m.path === wanted || m.path.replace(/\.sql$/, '') === wanted) ??
    migrations.find((m) => basename(m.path) === base || basename(m.path).replace(/\.sql$/, '') === base) ??
    migrations.find((m) => m.name === wanted);
  if (!found) {
    const known = migrations.map((m) => m.id);
    throw new PgwardenError('USAGE', `no migration "${ref}"`, {
      hint: known.length
        ? `Known migrations: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}.`
        : 'The migrations directory has no migrations.',
    });
  }
  return found;
}

/** A path relative to the working directory, for messages. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}
