/**
 * Where `pgwarden init` looks for the migrations when none of the well-known folders exists: the
 * project tree (to depth 6, build output and dependencies left out) for folders named `migrations`
 * or `migration` — or an engine's folder inside one (`make/migrations/postgresql`) — that hold SQL
 * files, or folders of one `migration.sql` (Prisma) or `up.sql` (diesel) — and the folder a
 * diesel.toml names (`[migrations_directory] dir`), whatever its name, first. Nested layouts are
 * common in monorepos and Java projects: `packages/api/prisma/migrations`,
 * `src/main/resources/db/migration`, `database/migrations`.
 */
import { type Dirent, readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { dieselConfiguredDir } from '../migrate/formats/diesel.js';

const SKIP = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  'target',
  'vendor',
  'coverage',
  'out',
  '.next',
]);
const NAMES = /^(migrations?|db[-_]?migrations?)$/i;
const ENGINES = /^(postgres|postgresql|pg)$/i;
const MAX_DEPTH = 6;

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** How many migrations the folder holds: .sql files in it, and folders of one `migration.sql` (Prisma) or `up.sql` (diesel). */
export function sqlCount(dir: string): number {
  let count = 0;
  for (const entry of entries(dir)) {
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.sql')) count++;
    else if (entry.isDirectory() && !entry.name.startsWith('.'))
      count += entries(join(dir, entry.name)).some(
        (e) => e.isFile() && (e.name === 'migration.sql' || e.name === 'up.sql'),
      )
        ? 1
        : 0;
  }
  return count;
}

function looksLikeMigrations(dir: string): boolean {
  const name = basename(dir);
  return NAMES.test(name) || (ENGINES.test(name) && NAMES.test(basename(dirname(dir))));
}

/**
 * Migration folders under `cwd` (relative paths): those a diesel.toml names first, then the one
 * with the most SQL files, then the shallowest.
 */
export function findMigrationFolders(cwd: string): string[] {
  const found: Array<{ path: string; files: number; depth: number; configured?: boolean }> = [];
  const visit = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    // a diesel project names its folder in diesel.toml, whatever the folder is called
    const configured = dieselConfiguredDir(dir);
    if (configured !== undefined) {
      const path = relative(cwd, configured);
      const files = sqlCount(configured);
      if (files > 0 && path !== '' && !path.startsWith('..'))
        found.push({ path, files, depth, configured: true });
    }
    for (const entry of entries(dir)) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (looksLikeMigrations(path)) {
        const files = sqlCount(path);
        if (files > 0) {
          found.push({ path: relative(cwd, path), files, depth });
          continue;
        }
      }
      visit(path, depth + 1);
    }
  };
  visit(cwd, 1);
  const sorted = found.sort(
    (a, b) =>
      Number(b.configured ?? false) - Number(a.configured ?? false) || b.files - a.files || a.depth - b.depth,
  );
  return [...new Set(sorted.map((f) => f.path))];
}
