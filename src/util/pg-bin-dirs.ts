/**
 * Where PostgreSQL programs may live: $PG_BIN alone when it is set (the user chose), else PATH,
 * then /usr/lib/postgresql/<major>/bin, newest first.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function postgresBinDirs(): string[] {
  if (process.env.PG_BIN) return [process.env.PG_BIN];
  const dirs: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) dirs.push(dir);
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const majors = readdirSync(base)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) dirs.push(join(base, major, 'bin'));
  }
  return [...new Set(dirs)];
}
