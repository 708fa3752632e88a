/**
 * What the runner refuses in a folder before anything runs, whatever the format:
 * - a format that reads none of the folder's SQL files (a wrong `--format` or `migrations.format`
 *   would otherwise say "Nothing to migrate" and exit 0);
 * - another tool's down marker (`-- migrate:down`, `-- +migrate Down`, `-- +goose Down`,
 *   `-- Down Migration`) inside what would run as an up script: read in the wrong format, the down
 *   section would run as up.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { lineMapper } from '../sql/lines.js';
import type { Migration, MigrationFormat } from './types.js';

const DOWN_MARKERS: Array<{ pattern: RegExp; tool: string; format: string | undefined }> = [
  { pattern: /^--\s*migrate:down\b/m, tool: 'dbmate', format: 'dbmate' },
  { pattern: /^--\s*\+migrate\s+down\b/im, tool: 'sql-migrate', format: 'sql-migrate' },
  { pattern: /^--\s*\+goose\s+down\b/im, tool: 'goose', format: undefined },
  { pattern: /^--\s*down\s+migration\b/im, tool: 'node-pg-migrate', format: 'node-pg-migrate' },
];

/** The `.sql` files in `dir` and one level below (Prisma keeps one folder per migration). */
function sqlFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.sql')) found.push(entry.name);
    else if (entry.isDirectory()) {
      try {
        for (const inner of readdirSync(join(dir, entry.name)))
          if (inner.toLowerCase().endsWith('.sql')) found.push(`${entry.name}/${inner}`);
      } catch {
        // unreadable: the format's own reading reports it if it matters
      }
    }
  }
  return found.sort();
}

export function checkSource(
  format: MigrationFormat,
  dir: string,
  migrations: readonly Migration[],
  chosenBy: 'option' | 'folder' | 'database',
): void {
  if (migrations.length === 0 && chosenBy === 'option') {
    const files = sqlFiles(dir);
    if (files.length > 0) {
      throw new PgwardenError(
        'FORMAT_MISMATCH',
        `the ${format.title} format reads none of the ${files.length} .sql file${files.length === 1 ? '' : 's'} in ${dir} (${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''})`,
        {
          hint: 'Check --format or migrations.format; left out, pgwarden detects the format from the folder (and the history table).',
        },
      );
    }
  }
  for (const m of migrations) {
    for (const marker of DOWN_MARKERS) {
      const match = marker.pattern.exec(m.up.text);
      if (!match) continue;
      const line = lineMapper(m.up)(match.index);
      throw new PgwardenError(
        'FORMAT_MISMATCH',
        `${relative(dir, m.up.path)} line ${line} is ${marker.tool}'s down marker ("${match[0].trim()}"), inside what the ${format.title} format runs as the up migration: the down section would run too`,
        {
          hint: marker.format
            ? `Use --format ${marker.format} (or set migrations.format), or leave the format out to detect it.`
            : `${marker.tool} files are not a format pgwarden reads yet: move the down section out of the file.`,
        },
      );
    }
  }
}
