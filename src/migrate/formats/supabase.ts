/**
 * Supabase CLI: `supabase/migrations/<digits>_<name>.sql`, recorded in
 * `supabase_migrations.schema_migrations (version, statements, name)` exactly as the CLI records
 * them, so `supabase migration list/up/repair` and `db push` keep working after pgwarden ran.
 *
 * Sources (supabase/cli):
 * - table and writes: pkg/migration/history.go (`CreateMigrationTable`: `SET lock_timeout = '4s'`,
 *   schema, table, then the `statements` and `name` columns added with IF NOT EXISTS;
 *   `INSERT_MIGRATION_VERSION`), and apps/cli/src/command-internal/migration-history.ts of the
 *   TypeScript CLI (the same DDL in one transaction with `SET LOCAL`, skipped when the table
 *   already has its columns; repair uses an upsert on version);
 * - files: pkg/migration/file.go (`^([0-9]+)_(.*)\.sql$`: version = the digits, name = the rest)
 *   and list.go (byte-order listing; a first `<14 digits>_init.sql` older than 20211209000000 is
 *   skipped; other names are skipped with a warning — so does pgwarden, with the same warning);
 * - statements: pkg/parser/token.go `SplitAndTrim` — the file is cut after every top-level `;`
 *   (not inside quotes, comments, dollar quotes, parentheses or BEGIN ATOMIC bodies); each piece
 *   keeps its leading comments, loses its trailing `;` characters and surrounding white space, and
 *   empty pieces are dropped, so a comment after the last statement is an element of its own.
 *   pgwarden finds the same cut points with PostgreSQL's own parser and scanner (see
 *   `supabaseStatements`).
 */
import { basename, dirname, resolve } from 'node:path';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { parseSqlFile } from '../../sql/parse-file.js';
import { loadParser, scanSql } from '../../sql/parser.js';
import { checksumOf } from '../checksum.js';
import type { AppliedRecord, HistoryAdapter, HistoryContext, Migration, MigrationFormat } from '../types.js';
import {
  compareUtf8,
  detectTable,
  fileNames,
  goTrimSpace,
  hasColumns,
  ident,
  listDirectory,
  listDirectoryQuietly,
  readText,
  resolveTable,
  type TableRef,
  tableColumns,
  trimTrailingSemicolons,
  wholeFileScript,
} from './shared.js';

const SCHEMA = 'supabase_migrations';
const TABLE = 'schema_migrations';
const FILE_PATTERN = /^([0-9]+)_(.*)\.sql$/;
const LEGACY_INIT = /([0-9]{14})_init\.sql/;
const LEGACY_INIT_CUTOFF = 20211209000000n;

// ---------------------------------------------------------------------------------------------
// Statements

/**
 * The `statements` array the Supabase CLI stores for a migration file (`parser.SplitAndTrim`).
 * The cut points are the top-level `;` tokens found by PostgreSQL's scanner that are not inside
 * a statement parsed by PostgreSQL's grammar (so `;` in function bodies, BEGIN ATOMIC bodies and
 * rules do not cut); the text between cut points is kept verbatim, then trimmed as the CLI does.
 *
 * Known differences from the CLI's own scanner, all in SQL that is rare in migrations: `\'`
 * inside `E'...'` strings (the CLI ends the string there), psql backslash commands, and a UTF-8
 * byte-order mark (the CLI keeps it in the first statement; pgwarden reads files without it).
 *
 * Call `loadParser()` before.
 */
export function supabaseStatements(text: string, path = '<migration>'): string[] {
  const pieces: string[] = [];
  const cuts = cutPoints(text, path);
  let start = 0;
  for (const cut of cuts) {
    pieces.push(text.slice(start, cut));
    start = cut;
  }
  pieces.push(text.slice(start));
  return pieces.map((piece) => goTrimSpace(trimTrailingSemicolons(piece))).filter((piece) => piece !== '');
}

/** Offsets just after each top-level `;`. */
function cutPoints(text: string, path: string): number[] {
  const tokens = scanSql(text);
  if (!tokens) return [];
  const parsed = parseSqlFile({ path, text });
  const spans = parsed.statements.filter((s) => s.origin === 'file').map((s) => s.span);
  const cuts: number[] = [];
  let next = 0; // both lists are in file order
  for (const token of tokens) {
    if (token.text !== ';') continue;
    const at = parsed.index.charOffset(token.start);
    while (next < spans.length && spans[next]!.end <= at) next++;
    const span = spans[next];
    if (span && at >= span.start) continue;
    cuts.push(at + 1);
  }
  return cuts;
}

// ---------------------------------------------------------------------------------------------
// Folder

/** `supabase/migrations`, or `migrations` next to a Supabase `config.toml` (it has `project_id`). */
function isMigrationsLocation(dir: string): boolean {
  const absolute = resolve(dir);
  if (basename(absolute) !== 'migrations') return false;
  const parent = dirname(absolute);
  if (basename(parent) === 'supabase') return true;
  const hasConfig = listDirectoryQuietly(parent).some(
    (entry) => entry.isFile && entry.name === 'config.toml',
  );
  if (!hasConfig) return false;
  try {
    return readText(parent, 'config.toml')
      .split(/\r?\n/)
      .some((line) => line.trimStart().startsWith('project_id'));
  } catch {
    return false;
  }
}

function detectFolder(dir: string): number {
  if (!isMigrationsLocation(dir)) return 0;
  const files = listDirectoryQuietly(dir).filter((entry) => entry.isFile && FILE_PATTERN.test(entry.name));
  return files.length > 0 ? 3 : 1;
}

function readFolder(dir: string, warn: (message: string) => void = () => {}): Migration[] {
  const files = fileNames(listDirectory(dir)).sort(compareUtf8);
  const found: { file: string; version: string; name: string }[] = [];
  const broken: string[] = [];
  files.forEach((file, index) => {
    if (index === 0) {
      const init = LEGACY_INIT.exec(file);
      if (init && BigInt(init[1]!) < LEGACY_INIT_CUTOFF) return;
    }
    const match = FILE_PATTERN.exec(file);
    if (match) found.push({ file, version: match[1]!, name: match[2]! });
    else if (file.endsWith('.sql')) broken.push(file);
  });
  // the CLI skips them with a warning: so does pgwarden (they are never applied, by either)
  for (const file of broken)
    warn(
      `${file} is skipped, as the Supabase CLI skips it: its name does not match <timestamp>_<name>.sql (rename it, e.g. 20240101120000_${file}, to have it applied)`,
    );
  // The CLI lines local files up with `ORDER BY version`: lexical order of the version strings.
  found.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  const duplicates: string[] = [];
  for (let i = 1; i < found.length; i++) {
    if (found[i]!.version === found[i - 1]!.version)
      duplicates.push(`${found[i - 1]!.file} and ${found[i]!.file}`);
  }
  if (duplicates.length > 0) {
    throw new PgwardenError(
      'USAGE',
      `${dir}: two migrations with the same version: ${duplicates.join(', ')}`,
      {
        hint: 'The version is the primary key of supabase_migrations.schema_migrations; give each file its own timestamp.',
        details: { dir, duplicates },
      },
    );
  }
  return found.map(({ file, version, name }) => {
    const up = wholeFileScript(dir, file);
    return { id: version, name, path: file, up, checksum: checksumOf(up.text) };
  });
}

// ---------------------------------------------------------------------------------------------
// History

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, TABLE, SCHEMA);
}

const COLUMNS = ['version', 'statements', 'name'];

async function ensureTable(ctx: HistoryContext, t: TableRef): Promise<void> {
  if (hasColumns(await tableColumns(ctx.client, t), COLUMNS)) return;
  // One implicit transaction, so SET LOCAL ends with it and never leaks into the session.
  await ctx.client.query(
    `SET LOCAL lock_timeout = '4s';
     CREATE SCHEMA IF NOT EXISTS ${ident(t.schema)};
     CREATE TABLE IF NOT EXISTS ${t.sql} (version text NOT NULL PRIMARY KEY);
     ALTER TABLE ${t.sql} ADD COLUMN IF NOT EXISTS statements text[];
     ALTER TABLE ${t.sql} ADD COLUMN IF NOT EXISTS name text;`,
  );
}

async function statementsOf(migration: Migration): Promise<string[]> {
  await loadParser();
  return supabaseStatements(migration.up.text, migration.up.path);
}

const history: HistoryAdapter = {
  /**
   * A table at the CLI's location with a `version` column (CLIs before the `statements` column
   * existed created only that one), or an overridden table with `version` and `statements`.
   */
  async detect(ctx) {
    const found = await detectTable(ctx, table);
    const atDefault = found?.ref.schema === SCHEMA && found.ref.name === TABLE;
    return hasColumns(found?.columns, atDefault ? ['version'] : ['version', 'statements']);
  },

  async read(ctx) {
    const t = await table(ctx);
    const columns = await tableColumns(ctx.client, t);
    if (columns === undefined) return { exists: false, table: t.display, applied: [] };
    const { rows } = await ctx.client.query<{ version: string }>(
      `SELECT version FROM ${t.sql} ORDER BY version`,
    );
    const applied: AppliedRecord[] = rows.map((row) => ({ id: row.version, state: 'applied' }));
    return { exists: true, table: t.display, applied };
  },

  async ensure(ctx) {
    await ensureTable(ctx, await table(ctx));
  },

  /** `INSERT_MIGRATION_VERSION`: (version, name, statements), sent by the CLI in the file's batch. */
  async markApplied(ctx, migration) {
    const t = await table(ctx);
    await ctx.client.query(`INSERT INTO ${t.sql} (version, name, statements) VALUES ($1, $2, $3)`, [
      migration.id,
      migration.name,
      await statementsOf(migration),
    ]);
  },

  /** `supabase migration repair --status applied` (upsert) / `--status reverted` (delete). */
  async resolve(ctx, migration, as) {
    const t = await table(ctx);
    if (as === 'applied') {
      await ensureTable(ctx, t);
      await ctx.client.query(
        `INSERT INTO ${t.sql} (version, name, statements) VALUES ($1, $2, $3)
         ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, statements = EXCLUDED.statements`,
        [migration.id, migration.name, await statementsOf(migration)],
      );
      return `${t.display}: recorded version ${migration.id} as applied`;
    }
    if ((await tableColumns(ctx.client, t)) === undefined) {
      return `${t.display} does not exist; version ${migration.id} is not recorded`;
    }
    const { rowCount } = await ctx.client.query(`DELETE FROM ${t.sql} WHERE version = $1`, [migration.id]);
    return rowCount
      ? `${t.display}: removed version ${migration.id}`
      : `${t.display}: version ${migration.id} was not recorded; nothing changed`;
  },
};

export const supabaseFormat: MigrationFormat = {
  id: 'supabase',
  title: 'Supabase CLI',
  hasDown: false,
  detectFolder,
  read: readFolder,
  history,
};
