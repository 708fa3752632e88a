/**
 * What `pgwarden lint` lints when it is about a migrations folder, read as its tool runs it (up
 * scripts, in the tool's order):
 * - no paths, or the folder itself: the configured or well-known folder (or one of a tool's
 *   layout), every migration;
 * - files inside that folder (or inside a folder of a known tool's layout): those files, after
 *   the earlier migrations of the folder are replayed into the schema model (not linted, not
 *   reported), so a migration is linted against the schema its predecessors built;
 * - `--changed-since <git ref>`: the folder's migrations changed since the ref (committed or
 *   not, untracked included), the earlier ones replayed.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/schema.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { FLYWAY_CONFIG_FILES } from '../migrate/formats/flyway.js';
import { lintSourcesOf } from '../migrate/lint-sources.js';
import {
  DEFAULT_MIGRATION_DIRS,
  defaultMigrationsDir,
  loadMigrations,
  type MigrationSource,
} from '../migrate/source.js';
import type { SqlSource } from '../sql/source.js';

export interface LintTargets {
  paths: string[];
  sources?: SqlSource[];
  /** Paths among `sources` replayed, not linted. */
  replayOnly?: Set<string>;
  /** Said in the output when the folder could not be read as its tool reads it. */
  note?: string;
}

/** The configured (the first of Flyway's locations) or well-known migrations folder (absolute), if there is one. */
function configuredFolder(cwd: string, config: Config): string | undefined {
  const dir = config.migrations?.dir;
  const first = typeof dir === 'string' ? dir : dir?.[0];
  return first ? join(cwd, first) : defaultMigrationsDir(cwd);
}

/**
 * Without paths: the folder `migrate` reads — the configured one, else the locations of the
 * project's Flyway configuration, else a well-known one — every up script in the tool's order.
 */
export async function wholeFolder(cwd: string, config: Config): Promise<LintTargets> {
  const found = configuredFolder(cwd, config);
  const flyway = FLYWAY_CONFIG_FILES.some((name) => existsSync(join(cwd, name)));
  if (!found && !flyway) {
    throw new PgwardenError('USAGE', 'no paths given and no migrations directory found', {
      hint: `Pass files or directories (pgwarden lint migrations/), or set migrations.dir in pgwarden.config.json. Looked for: ${DEFAULT_MIGRATION_DIRS.join(', ')}, and the locations of flyway.toml or flyway.conf.`,
    });
  }
  try {
    // as the runner finds it: without migrations.dir, flyway.toml/flyway.conf's locations come first
    const source = await loadMigrations({
      cwd,
      dir: config.migrations?.dir,
      format: config.migrations?.format,
    });
    return {
      paths: source.dirs ?? [source.dir],
      sources: shown(cwd, lintSourcesOf(source.migrations)),
    };
  } catch (error) {
    // a folder of no known layout is still SQL files to lint, whole: said so
    if (found && error instanceof PgwardenError && error.code === 'USAGE')
      return {
        paths: [found],
        note: `${relative(cwd, found) || '.'} is not read as a migrations folder (${error.message}): every .sql file in it is linted whole`,
      };
    throw error;
  }
}

/**
 * A directory given on the command line that is a migrations folder (the configured or well-known
 * one, or one of a tool's own layout): its up scripts in the tool's order, as with no paths.
 * Undefined for a directory of loose SQL files.
 */
export async function folderGiven(
  cwd: string,
  path: string,
  config: Config,
): Promise<LintTargets | undefined> {
  const dir = resolve(cwd, path);
  const configured = configuredFolder(cwd, config);
  try {
    if (!statSync(dir).isDirectory()) return undefined;
    const source = await loadMigrations({
      cwd,
      dir,
      format: dir === configured ? config.migrations?.format : undefined,
    });
    if (dir !== configured && source.format.id === 'plain') return undefined;
    return { paths: [dir], sources: shown(cwd, lintSourcesOf(source.migrations)) };
  } catch (error) {
    if (error instanceof PgwardenError && error.code === 'FORMAT_MISMATCH') throw error;
    return undefined;
  }
}

/**
 * The file names of the layouts that keep one folder per migration. Only for these is the folder
 * above a file's own folder a candidate: read for any file, it would be `/tmp` for `/tmp/x/a.sql`,
 * every subfolder of it listed and its SQL files read to detect a format.
 */
const PER_MIGRATION_FILES = new Set(['migration.sql', 'up.sql', 'down.sql']);

/**
 * Files given on the command line that are all up scripts of one migrations folder (the configured
 * or well-known one, or a folder of a tool's own layout — never a folder of loose SQL files):
 * those, with the earlier migrations replayed. Undefined when the paths are anything else.
 */
export async function filesInFolder(
  cwd: string,
  paths: readonly string[],
  config: Config,
): Promise<LintTargets | undefined> {
  const files = paths.map((p) => resolve(cwd, p));
  const configured = configuredFolder(cwd, config);
  const candidates = new Set<string>();
  for (const file of files) {
    if (configured && file.startsWith(configured + sep)) candidates.add(configured);
    candidates.add(dirname(file));
    // a folder per migration (Prisma's migration.sql, diesel's up.sql): the folder above holds them
    if (PER_MIGRATION_FILES.has(basename(file))) candidates.add(dirname(dirname(file)));
  }
  for (const dir of candidates) {
    let source: MigrationSource;
    try {
      source = await loadMigrations({
        cwd,
        dir,
        format: dir === configured ? config.migrations?.format : undefined,
      });
    } catch {
      continue;
    }
    // a folder of loose SQL files (plain, not the project's folder) has no history to replay
    if (dir !== configured && source.format.id === 'plain') continue;
    const wanted = new Set(files);
    const index = source.migrations.map((m) => wanted.has(m.up.path));
    if (index.filter(Boolean).length !== wanted.size) continue;
    return withHistory(cwd, source, index);
  }
  return undefined;
}

/** The migrations of the configured or well-known folder changed since `ref` (git), the earlier ones replayed. */
export async function changedSince(cwd: string, ref: string, config: Config): Promise<LintTargets> {
  const found = configuredFolder(cwd, config);
  if (!found) {
    throw new PgwardenError('USAGE', '--changed-since needs the migrations folder: none found', {
      hint: `Set migrations.dir in pgwarden.config.json. Looked for: ${DEFAULT_MIGRATION_DIRS.join(', ')}.`,
    });
  }
  const source = await loadMigrations({ cwd, dir: found, format: config.migrations?.format });
  // loaded here: only --changed-since runs git
  const { execFileSync } = await import('node:child_process');
  const git = (args: string[]) => gitLines(execFileSync, found, args, ref);
  const changed = new Set(
    [
      ...git(['diff', '--name-only', '-z', '--relative', ref, '--', '.']),
      ...git(['ls-files', '--others', '--exclude-standard', '-z', '--', '.']),
    ].map((name) => join(found, name)),
  );
  return withHistory(
    cwd,
    source,
    source.migrations.map(
      (m) => changed.has(m.up.path) || (m.down !== undefined && changed.has(m.down.path)),
    ),
  );
}

/** The up scripts up to the last one wanted; the others before it replayed only. */
function withHistory(cwd: string, source: MigrationSource, wanted: boolean[]): LintTargets {
  const last = wanted.lastIndexOf(true);
  const sources = shown(cwd, lintSourcesOf(source.migrations.slice(0, last + 1)));
  const replayOnly = new Set(sources.filter((_, i) => !wanted[i]).map((s) => s.path));
  return { paths: [], sources, replayOnly };
}

function gitLines(
  execFileSync: typeof import('node:child_process').execFileSync,
  dir: string,
  args: string[],
  ref: string,
): string[] {
  try {
    return execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\0')
      .filter(Boolean);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new PgwardenError(
      'USAGE',
      `--changed-since ${ref}: git ${args[0]} failed: ${stderr || (error as Error).message}`,
      {
        hint: 'Run it in a git work tree, with a ref that exists there (a branch, tag or commit; fetch it first in a shallow CI clone).',
      },
    );
  }
}

/** The sources with their paths as the user sees them: relative to the working directory when inside it. */
function shown(cwd: string, sources: SqlSource[]): SqlSource[] {
  return sources.map((source) => {
    const path = relative(cwd, source.path);
    return path.startsWith('..') ? source : { ...source, path };
  });
}
