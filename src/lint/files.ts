import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PgwardenError } from '../errors/pgwarden-error.js';

const SKIP_DIRS = new Set(['node_modules', '.git']);

/** Natural order: `2_x.sql` before `10_x.sql`, as migration tools order files. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant' });
}

/**
 * Expands files and directories into the list of `.sql` files to lint, in natural order per
 * directory. A path that does not exist or cannot be read is an error naming it.
 */
export async function collectSqlFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new PgwardenError('PATH_NOT_FOUND', `${path}: no such file or directory`, {
          details: { path },
        });
      }
      throw new PgwardenError('PATH_UNREADABLE', `${path}: cannot read (${code ?? String(error)})`, {
        details: { path },
      });
    }
    if (info.isDirectory()) out.push(...(await walkDirectory(path)));
    else out.push(path);
  }
  return out;
}

async function walkDirectory(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PgwardenError('PATH_UNREADABLE', `${dir}: cannot read directory (${code ?? String(error)})`, {
      details: { path: dir },
    });
  }
  entries.sort((a, b) => naturalCompare(a.name, b.name));
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walkDirectory(full)));
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.sql')) out.push(full);
  }
  return out;
}
