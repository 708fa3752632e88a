/**
 * Puts new migrations on disk in a project's own migration format, after every existing one: the
 * files `pgwarden fix` writes. `planMigrationFiles` says which files with which text (no disk
 * access); `writeMigrationFiles` writes them, never over an existing file.
 *
 * A migration that must run outside a transaction (`transaction: false`) is written the format's
 * own way (see each writer in ./formats): dbmate's `transaction:false`, a Flyway script
 * configuration file, nothing for plain files (pgwarden's runner isolates such statements). Tools
 * that send a whole file as one query (Prisma, golang-migrate, dbmate, Supabase, node-pg-migrate)
 * run a multi-statement file as one implicit transaction, so there such a migration becomes one
 * migration per statement, named `<name>_1`, `<name>_2`, …; its down, which could not be split
 * the same way, must then be absent, and a down of such a migration must be one statement.
 *
 * Call `loadParser()` (src/sql/parser.ts) before: splitting uses PostgreSQL's grammar.
 */
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PgwardenError } from '../errors/pgwarden-error.js';
import type { FormatId, Migration } from '../migrate/types.js';
import { dbmateWriter } from './formats/dbmate.js';
import { dieselWriter } from './formats/diesel.js';
import { flywayWriter } from './formats/flyway.js';
import { golangMigrateWriter } from './formats/golang-migrate.js';
import { nodePgMigrateWriter } from './formats/node-pg-migrate.js';
import { plainWriter } from './formats/plain.js';
import { prismaWriter } from './formats/prisma.js';
import { sqlMigrateWriter } from './formats/sql-migrate.js';
import { splitStatements } from './formats/statements.js';
import { supabaseWriter } from './formats/supabase.js';
import type { FormatWriter, MigrationToWrite, PlannedMigration } from './formats/writer.js';

export type { PlannedFile, PlannedMigration } from './formats/writer.js';

export interface NewMigration {
  /** Short snake_case description, e.g. `add_users_email_verified`. */
  name: string;
  /** The up SQL (statements ending with `;`, may contain comments). */
  up: string;
  /** The down SQL, when there is one (formats without down files drop it). */
  down?: string;
  /**
   * False: must run outside a transaction (CREATE INDEX CONCURRENTLY, a batched backfill); the
   * writer uses the format's own way.
   */
  transaction: boolean;
}

export interface WrittenMigration {
  /** The id pgwarden's reader gives the migration. */
  id: string;
  /** Absolute paths of the files written. */
  files: string[];
}

const WRITERS: Record<FormatId, FormatWriter> = {
  plain: plainWriter,
  prisma: prismaWriter,
  dbmate: dbmateWriter,
  'golang-migrate': golangMigrateWriter,
  flyway: flywayWriter,
  supabase: supabaseWriter,
  'node-pg-migrate': nodePgMigrateWriter,
  'sql-migrate': sqlMigrateWriter,
  diesel: dieselWriter,
};

const NAME = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

function invalid(message: string, migration: NewMigration): PgwardenError {
  return new PgwardenError('INTERNAL', message, { details: { name: migration.name } });
}

/** The migrations a writer renders: checked, downs dropped where the format has none, split where needed. */
function prepare(
  format: FormatId,
  writer: FormatWriter,
  migrations: readonly NewMigration[],
): MigrationToWrite[] {
  const out: MigrationToWrite[] = [];
  for (const migration of migrations) {
    const what = `new ${format} migration ${migration.name}`;
    if (!NAME.test(migration.name)) {
      throw invalid(`${what}: the name must be snake_case (a-z, 0-9, _)`, migration);
    }
    if (migration.up.trim() === '') throw invalid(`${what}: the up SQL is empty`, migration);
    const down = writer.hasDown && migration.down?.trim() ? migration.down : undefined;
    writer.check?.(migration.up, what);
    if (down !== undefined) writer.check?.(down, `${what} (down)`);
    if (migration.transaction || !writer.oneQueryPerFile) {
      out.push({
        name: migration.name,
        up: migration.up,
        transaction: migration.transaction,
        ...(down === undefined ? {} : { down }),
      });
      continue;
    }
    const statements = splitStatements(migration.up, what);
    if (down !== undefined && splitStatements(down, `${what} (down)`).length > 1) {
      throw invalid(
        `${what}: ${format} sends the down file as one query, an implicit transaction, so the down of a migration that runs outside a transaction must be one statement`,
        migration,
      );
    }
    if (statements.length <= 1) {
      out.push({
        name: migration.name,
        up: migration.up,
        transaction: false,
        ...(down === undefined ? {} : { down }),
      });
      continue;
    }
    if (down !== undefined) {
      throw invalid(
        `${what}: its ${statements.length} statements must go into one migration each (${format} sends a file as one query, an implicit transaction), and its down cannot be split the same way`,
        migration,
      );
    }
    statements.forEach((up, i) => {
      out.push({ name: `${migration.name}_${i + 1}`, up, transaction: false });
    });
  }
  return out;
}

/**
 * The files that put `migrations` into `dir` in `format`, after every one of `existing` (the
 * folder as the format's reader returns it), with versions taken from `now`. No disk access.
 */
export function planMigrationFiles(
  format: FormatId,
  dir: string,
  existing: readonly Migration[],
  migrations: readonly NewMigration[],
  now: Date,
): PlannedMigration[] {
  const writer = WRITERS[format];
  return writer.plan(resolve(dir), existing, prepare(format, writer, migrations), now);
}

/**
 * Writes the planned files (mode 0644, directories 0755). An existing file — or an existing
 * directory that a migration would create, Prisma's `<timestamp>_<name>/` — is an error, and then
 * nothing is written; if writing fails half-way, what was written is removed again.
 */
export function writeMigrationFiles(
  format: FormatId,
  dir: string,
  existing: readonly Migration[],
  migrations: readonly NewMigration[],
  now: Date,
): WrittenMigration[] {
  const root = resolve(dir);
  const planned = planMigrationFiles(format, root, existing, migrations, now);
  const files = planned.flatMap((migration) => migration.files);
  const directories = [
    ...new Set(files.map((file) => dirname(file.path)).filter((parent) => parent !== root)),
  ];
  const taken = [...directories, ...files.map((file) => file.path)].filter((path) => existsSync(path));
  if (taken.length > 0) {
    throw new PgwardenError('USAGE', `${taken.join(', ')}: already exists; no migration was written`, {
      hint: 'The folder changed since it was read (or holds a stray file with that name): read it again, or move the file away.',
      details: { paths: taken },
    });
  }
  const created: string[] = [];
  const written: string[] = [];
  try {
    for (const directory of directories) {
      mkdirSync(directory, { mode: 0o755 });
      created.push(directory);
    }
    for (const file of files) {
      writeFileSync(file.path, file.text, { flag: 'wx', mode: 0o644 });
      written.push(file.path);
    }
  } catch (error) {
    for (const path of written.reverse()) rmSync(path, { force: true });
    for (const directory of created.reverse()) {
      try {
        rmdirSync(directory);
      } catch {
        // Something else put a file there meanwhile: leave the directory to its owner.
      }
    }
    const code = (error as NodeJS.ErrnoException).code;
    const path = (error as NodeJS.ErrnoException).path ?? root;
    if (code === 'EEXIST') {
      throw new PgwardenError('USAGE', `${path}: already exists; no migration was written`, { cause: error });
    }
    throw new PgwardenError(
      'PATH_UNWRITABLE',
      `${path}: cannot write the new migration (${code ?? String(error)}); no migration was written`,
      {
        details: { path },
        cause: error,
      },
    );
  }
  return planned.map((migration) => ({ id: migration.id, files: migration.files.map((file) => file.path) }));
}
