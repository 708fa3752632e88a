/**
 * What a format writer is, and the few rules the writers share: how SQL text ends up in a file,
 * the versions of numbered folders, and the check that new migrations sort after the old ones in
 * the tool's own order.
 */
import { PgwardenError } from '../../errors/pgwarden-error.js';
import type { Migration } from '../../migrate/types.js';
import { detectStyle, type IdStyle, leadingDigits, nextVersions, type TimeStyleKind } from './ids.js';

export interface PlannedFile {
  /** Absolute path. */
  path: string;
  text: string;
}

export interface PlannedMigration {
  /** The id pgwarden's reader gives the migration (`Migration.id`). */
  id: string;
  files: PlannedFile[];
}

/** One migration as a writer renders it (already split where the format needs it). */
export interface MigrationToWrite {
  name: string;
  up: string;
  /** Present only when the format has down scripts and one was given. */
  down?: string;
  transaction: boolean;
}

export interface FormatWriter {
  /**
   * True when the tool sends a file (a dbmate section) as one query or one batch, which
   * PostgreSQL runs as one implicit transaction when it holds several statements: a migration that
   * must run outside a transaction then has to be one statement per file.
   */
  oneQueryPerFile: boolean;
  /** Whether the format has down scripts; without them a down is dropped. */
  hasDown: boolean;
  /** Refuses SQL that the format cannot hold as given (a marker line inside it, a placeholder). */
  check?(sql: string, what: string): void;
  /** The migrations' files, in order, after every one of `existing`. */
  plan(
    dir: string,
    existing: readonly Migration[],
    migrations: readonly MigrationToWrite[],
    now: Date,
  ): PlannedMigration[];
}

/** SQL as a file holds it: without leading and trailing blank space, ending with one newline. */
export function sqlText(sql: string): string {
  const trimmed = sql.trim();
  return trimmed === '' ? '' : `${trimmed}\n`;
}

/** The leading digits of every existing migration's path. */
export function existingVersions(existing: readonly Migration[]): string[] {
  return existing.map((migration) => leadingDigits(migration.path)).filter((digits) => digits !== undefined);
}

/** `count` versions for a numbered folder, in the style of its newest version (`fallback` when empty). */
export function numberedVersions(
  existing: readonly Migration[],
  count: number,
  now: Date,
  allowed: readonly TimeStyleKind[],
  fallback: IdStyle,
): string[] {
  const versions = existingVersions(existing);
  return nextVersions(versions, count, now, detectStyle(versions, allowed, fallback));
}

/**
 * Refuses a plan whose new names would not sort after every existing name, and one after another,
 * in the tool's order `compare` (names are file or directory names, as the tool compares them).
 */
export function checkOrder(
  tool: string,
  existingNames: readonly string[],
  newNames: readonly string[],
  compare: (a: string, b: string) => number,
): void {
  let previous = existingNames.reduce<string | undefined>(
    (max, name) => (max === undefined || compare(name, max) > 0 ? name : max),
    undefined,
  );
  for (const name of newNames) {
    if (previous !== undefined && compare(name, previous) <= 0) {
      throw new PgwardenError(
        'USAGE',
        `${tool}: a new migration ${name} would not come after ${previous} in ${tool}'s order`,
        {
          hint: 'The folder numbers its migrations in a way the next number does not continue (a sequence that outgrew its zero padding?). Rename the existing files to one style first.',
          details: { name, after: previous },
        },
      );
    }
    previous = name;
  }
}

/** USAGE error: the SQL holds a line the format reads as its own marker. */
export function markerError(what: string, tool: string, line: string): PgwardenError {
  return new PgwardenError('USAGE', `${what}: the SQL has a line ${tool} reads as a marker: ${line.trim()}`, {
    hint: `Reword the comment so that ${tool} does not split the file there.`,
  });
}
