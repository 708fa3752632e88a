/**
 * The source files of a project for a scan: a walk of the project directory in a stable (sorted)
 * order that skips dependency, build and tool directories and every hidden directory, does not
 * follow symbolic links, and stops at a cap so a huge tree cannot stall the doctor.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** Never descended into (besides every directory whose name starts with a dot). */
export const SKIPPED_DIRS = new Set([
  'node_modules',
  'dist',
  'build',
  'coverage',
  'venv',
  '__pycache__',
  'site-packages',
]);

export interface SourceFiles {
  /** absolute paths */
  files: string[];
  /** the walk stopped at maxFiles */
  capped: boolean;
  /** files skipped for being larger than maxBytes (minified bundles, generated code) */
  tooLarge: string[];
}

export async function listSourceFiles(
  root: string,
  options: { extensions: ReadonlySet<string>; maxFiles: number; maxBytes: number },
): Promise<SourceFiles> {
  const result: SourceFiles = { files: [], capped: false, tooLarge: [] };
  const queue = [root];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) queue.push(path);
        continue;
      }
      if (!entry.isFile() || !options.extensions.has(extname(entry.name))) continue;
      if (result.files.length >= options.maxFiles) {
        result.capped = true;
        return result;
      }
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      if (info.size > options.maxBytes) result.tooLarge.push(path);
      else result.files.push(path);
    }
  }
  return result;
}
