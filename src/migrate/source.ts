/**
 * Finding the migrations: the folder (option, config, the project's Flyway configuration, or a
 * well-known place; several for Flyway's locations), its format (configured, else detected from
 * the folder's markers and, when they are not decisive, from the history table in the database,
 * by its columns), and the migrations in the tool's order.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type pg from 'pg';
import type { ErrorCode } from '../errors/codes.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { flywayConfigLocations, flywayLocationSet, readFlywayLocations } from './formats/flyway.js';
import { FORMATS } from './formats/index.js';
import { withFolderTexts, withoutFiles } from './formats/shared.js';
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
  /**
   * The migrations directory (relative to cwd), or several: Flyway locations, read as one set.
   * Default: the `filesystem:` locations of a flyway.toml/flyway.conf in cwd (when the format is
   * Flyway or detected), else the first well-known directory that exists.
   */
  dir?: string | readonly string[] | undefined;
  /** A format id, or `auto`/undefined to detect. */
  format?: string | undefined;
  /** When given, the history table in this database settles an ambiguous folder. */
  client?: pg.Client | undefined;
  /** History table override (`migrations.table`). */
  table?: string | undefined;
  /**
   * `status`: a file the format refuses is listed in `broken` and the rest of the folder read,
   * instead of the whole folder being refused.
   */
  tolerant?: boolean | undefined;
}

/** A file the format refuses, as `status` lists it. */
export interface BrokenFile {
  /** Absolute path. */
  path: string;
  code: ErrorCode;
  /** Why, as the refusal says it (without the path in front). */
  reason: string;
  hint?: string;
}

export interface MigrationSource {
  format: MigrationFormat;
  /** Absolute path of the migrations directory (the first one: where new migrations are written). */
  dir: string;
  /** All the migrations directories, `dir` first, when there are several (Flyway locations). */
  dirs?: string[];
  migrations: Migration[];
  /** How the format was chosen. */
  detectedBy: 'option' | 'folder' | 'database';
  /** Files the tool skips, as it says (shown by the commands; nothing refused). */
  warnings?: string[];
  table?: string | undefined;
  /** With `tolerant`: the files the format refuses (everything else is in `migrations`). */
  broken?: BrokenFile[];
}

export async function loadMigrations(options: LoadMigrationsOptions): Promise<MigrationSource> {
  // every file read once: by the formats' detection and by the format that reads the folder
  const texts = new Map<string, string>();
  const requested = options.format && options.format !== 'auto' ? options.format : undefined;
  const found = findDirs(options.cwd, options.dir, requested);
  const { dirs } = found;
  const dir = dirs[0]!;
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
  } else if (found.fromFlywayConfig) {
    // the Flyway configuration names the folders: its locations are Flyway's
    format = FORMATS.flyway;
    detectedBy = 'folder';
  } else {
    ({ format, detectedBy } = await detectFormat(dir, options.client, options.table, texts));
  }
  if (dirs.length > 1 && format.id !== 'flyway') {
    throw new PgwardenError(
      'USAGE',
      `${dirs.map((d) => displayPath(options.cwd, d)).join(', ')}: several migrations directories are read as one set only for Flyway (its locations); these are ${format.title} migrations`,
      { hint: 'Give one --dir (or one migrations.dir) for this format.' },
    );
  }
  const warnings: string[] = [...found.notes];
  if (format.id === 'flyway' && !found.fromFlywayConfig)
    warnings.push(...unreadFlywayLocations(options.cwd, dirs));
  const read = () =>
    withFolderTexts(texts, () =>
      dirs.length > 1 ? readFlywayLocations(dirs) : format.read(dir, (message) => warnings.push(message)),
    );
  const broken: BrokenFile[] = [];
  const migrations = options.tolerant ? readSkippingBroken(read, format, dir, detectedBy, broken) : read();
  if (!options.tolerant) checkSource(format, dir, migrations, detectedBy);
  return {
    format,
    dir,
    ...(dirs.length > 1 ? { dirs } : {}),
    migrations,
    detectedBy,
    table: options.table,
    warnings: [...new Set(warnings)],
    ...(broken.length > 0 ? { broken } : {}),
  };
}

/**
 * The migrations directories, absolute: those given (each must exist), else the `filesystem:`
 * locations of the project's Flyway configuration when the format may be Flyway, else the first
 * well-known one. Several are Flyway's locations: one nested in another is read as part of it.
 */
function findDirs(
  cwd: string,
  dir: string | readonly string[] | undefined,
  format: string | undefined,
): { dirs: string[]; notes: string[]; fromFlywayConfig?: string } {
  const given = dir === undefined ? [] : typeof dir === 'string' ? [dir] : [...dir];
  const display = (d: string) => displayPath(cwd, d);
  if (given.length > 0)
    return flywayLocationSet(
      given.map((d) => findDir(cwd, d)),
      display,
    );
  const config = format === undefined || format === 'flyway' ? flywayConfigLocations(cwd) : undefined;
  if (!config) return { dirs: [findDir(cwd, undefined)], notes: [] };
  const set = flywayLocationSet(config.dirs, display);
  return { dirs: set.dirs, notes: [...config.notes, ...set.notes], fromFlywayConfig: config.file };
}

/**
 * Said when folders were given for Flyway migrations and the project's Flyway configuration lists
 * other locations: Flyway reads those too, pgwarden reads only what it was given.
 */
function unreadFlywayLocations(cwd: string, dirs: readonly string[]): string[] {
  let config: ReturnType<typeof flywayConfigLocations>;
  try {
    config = flywayConfigLocations(cwd);
  } catch {
    return []; // a configuration Flyway cannot read is not pgwarden's to judge here
  }
  const inside = (d: string) => dirs.some((given) => d === given || d.startsWith(given + sep));
  const unread = config?.dirs.filter((d) => !inside(d)) ?? [];
  if (!config || unread.length === 0) return [];
  return [
    `${basename(config.file)} also lists ${unread.map((d) => displayPath(cwd, d)).join(', ')}, not read: the directories given (--dir, migrations.dir) replace its locations`,
  ];
}

/**
 * For `status`: reads the folder as `read` does, but a file the format refuses — an error that
 * names it in `details.path`, as every format's file errors and the UTF-8 check do — is left out
 * (`withoutFiles`), listed in `broken`, and the folder read again without it, so everything else
 * is shown. A migration `checkSource` refuses (another tool's down marker in an up script) is
 * broken too. An error about the folder as a whole is thrown as `migrate` throws it.
 */
function readSkippingBroken(
  read: () => Migration[],
  format: MigrationFormat,
  dir: string,
  detectedBy: MigrationSource['detectedBy'],
  broken: BrokenFile[],
): Migration[] {
  const skipped = new Set<string>();
  let migrations: Migration[] | undefined;
  while (!migrations) {
    try {
      migrations = withoutFiles(skipped, read);
    } catch (error) {
      const path = error instanceof PgwardenError ? error.details?.path : undefined;
      if (typeof path !== 'string' || path === dir || skipped.has(path)) throw error;
      skipped.add(path);
      broken.push(brokenFile(error as PgwardenError, path));
    }
  }
  const kept = migrations.filter((migration) => {
    try {
      checkSource(format, dir, [migration], 'folder');
      return true;
    } catch (error) {
      if (!(error instanceof PgwardenError)) throw error;
      broken.push(brokenFile(error, migration.up.path));
      return false;
    }
  });
  if (broken.length === 0) checkSource(format, dir, kept, detectedBy);
  return kept;
}

/** The refusal of one file, its path taken off the front of the message (`path:12: …` → `line 12: …`). */
function brokenFile(error: PgwardenError, path: string): BrokenFile {
  const rest = error.message.startsWith(`${path}:`)
    ? error.message.slice(path.length + 1).trimStart()
    : undefined;
  const reason = rest === undefined ? error.message : rest.replace(/^(\d+): /, 'line $1: ');
  return { path, code: error.code, reason, ...(error.hint ? { hint: error.hint } : {}) };
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
  texts = new Map<string, string>(),
): Promise<{ format: MigrationFormat; detectedBy: 'folder' | 'database' }> {
  const scored = withFolderTexts(texts, () =>
    Object.values(FORMATS).map((format) => ({ format, score: format.detectFolder(dir) })),
  ).sort((a, b) => b.score - a.score);
  if (client) {
    const inDatabase: Array<{ format: MigrationFormat; score: number }> = [];
    const memo = { columns: new Map() };
    for (const entry of scored) {
      // the folder first (no query): only a tool that can read it is asked for its table
      if (entry.format.id === 'plain' || !withFolderTexts(texts, () => readsFolder(entry.format, dir)))
        continue;
      if (await entry.format.history.detect({ client, table, memo })) inDatabase.push(entry);
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
    // a migration that is a folder of its own (diesel's <version>_<name>/up.sql), by the folder
    migrations.find((m) => m.path.includes('/') && dirname(m.path) === wanted) ??
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
