/**
 * The runner's vocabulary: a migration read from a folder, the format that knows how a tool lays
 * out its folder and records what it applied, and the history read back from the database.
 */
import type pg from 'pg';

export const FORMAT_IDS = [
  'plain',
  'prisma',
  'dbmate',
  'golang-migrate',
  'flyway',
  'supabase',
  'node-pg-migrate',
  'sql-migrate',
  'diesel',
] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

/** One script of a migration (its up or its down SQL). */
export interface MigrationScript {
  /** Absolute path of the file that holds the SQL. */
  path: string;
  /** The SQL to run (for sectioned files, only this section). */
  text: string;
  /** Character offset of `text` in the file, so errors can name the file's line. */
  offset: number;
  /** False when the tool's own directive turns the transaction off (dbmate `transaction:false`). */
  transaction?: boolean;
  /**
   * Without a transaction, how the tool sends the script: `one-query` (the whole script as one
   * query: dbmate, diesel) or statement by statement (default: sql-migrate, Flyway). Lint models
   * it when it lints for the tool's runner (`--runner dbmate`); pgwarden itself runs each
   * statement alone.
   */
  sentAs?: 'statements' | 'one-query';
}

export interface Migration {
  /** The identity the tool records: a version, a directory name or a file's base name. */
  id: string;
  /** Human description (the part of the name after the version). */
  name: string;
  /** File or directory, relative to the migrations directory, with forward slashes. */
  path: string;
  up: MigrationScript;
  down?: MigrationScript;
  /** pgwarden's checksum of the up script: `sha256:<hex>` over the text with CRLF turned to LF. */
  checksum: string;
  /** Flyway `R__` migrations: applied again whenever their checksum changes. */
  repeatable?: boolean;
  /** Other files of the migration (absolute paths): diesel's metadata.toml. */
  otherFiles?: string[];
}

/** A row of the tool's history, in the tool's terms. */
export interface AppliedRecord {
  id: string;
  /** The checksum as the tool stored it (format-specific), when it stores one. */
  checksum?: string;
  appliedAt?: Date;
  /**
   * `applied`: done. `failed`: a state the tool itself refuses to continue from (a Prisma row
   * without finished_at and rolled_back_at, the golang-migrate dirty version, a Flyway row with
   * success = false).
   */
  state: 'applied' | 'failed';
  /** What the tool recorded about a failure (Prisma `logs`), or why the row counts as failed. */
  detail?: string;
  /** A baseline row (Flyway BASELINE): it stands for migrations that were never run by the tool. */
  baseline?: boolean;
}

export interface HistoryState {
  /** False when the history table does not exist yet. */
  exists: boolean;
  /** Qualified table name, for messages (e.g. `public.schema_migrations`). */
  table: string;
  /** Rows in the tool's own order. */
  applied: AppliedRecord[];
}

export interface HistoryContext {
  client: pg.Client;
  /** Table name override (`migrations.table`), possibly `schema.table`; default: the tool's. */
  table?: string;
  /**
   * Catalog answers shared by the `detect` calls of one detection (every format asks for the
   * current schema and for its table's columns; dbmate and golang-migrate ask for the same table).
   * Only for reads that nothing changes in between.
   */
  memo?: CatalogMemo;
}

export interface CatalogMemo {
  currentSchema?: Promise<string | null>;
  /** Columns by table (`"schema"."name"`). */
  columns: Map<string, Promise<Map<string, string> | undefined>>;
}

/** Facts about one application, for tools that record them (Flyway execution_time, installed_by). */
export interface ApplyInfo {
  startedAt: Date;
  durationMs: number;
}

export interface HistoryAdapter {
  /** True when a table with this tool's columns exists (detection by columns, not only the name). */
  detect(ctx: HistoryContext): Promise<boolean>;
  /** Reads the history; `exists: false` and no rows when the table is missing. Never writes. */
  read(ctx: HistoryContext): Promise<HistoryState>;
  /** Creates the history table exactly as the tool does, if it is missing. Idempotent. */
  ensure(ctx: HistoryContext): Promise<void>;
  /**
   * Records that `migration` has started, before a migration that cannot run in one transaction
   * (golang-migrate: dirty = true; Prisma: the row without finished_at). Runs inside the caller's
   * transaction, which the runner commits before the first statement (so its transaction id is
   * known). Must be idempotent (a resumed run calls it again). Omit when the tool records nothing.
   */
  markStarted?(ctx: HistoryContext, migration: Migration, info: { startedAt: Date }): Promise<void>;
  /** Records `migration` as applied, exactly as the tool does; runs inside the migration's last transaction. */
  markApplied(ctx: HistoryContext, migration: Migration, info: ApplyInfo): Promise<void>;
  /**
   * Records that `migration` was rolled back by its down script; `previous` is the migration that
   * is now the latest applied one (golang-migrate stores it as its version), if any.
   */
  markRolledBack?(ctx: HistoryContext, migration: Migration, previous: Migration | undefined): Promise<void>;
  /**
   * Clears a failed state the way the tool's own repair command does, so the tool (and pgwarden)
   * continue: `applied` = the migration is in fact applied, `rolled-back` = it is not.
   * Returns what was changed, for the log.
   */
  resolve?(ctx: HistoryContext, migration: Migration, as: 'applied' | 'rolled-back'): Promise<string>;
  /** Whether `migration` counts as applied through a baseline row of `applied` (Flyway). */
  coveredByBaseline?(applied: readonly AppliedRecord[], migration: Migration): boolean;
  /** The tool's checksum of a migration as it would store it, when the tool stores one. */
  nativeChecksum?(migration: Migration): string;
  /** Whether a stored native checksum matches the migration (tools tolerate CRLF/LF differences). */
  checksumMatches?(migration: Migration, stored: string): boolean;
  /** The tool's advisory-lock keys, so a native runner started at the same time is excluded. */
  lockKeys?(ctx: HistoryContext): Promise<bigint[]>;
}

export interface MigrationFormat {
  id: FormatId;
  /** Display name, e.g. `golang-migrate`. */
  title: string;
  /** Whether the format has down migrations (rollback). */
  hasDown: boolean;
  /**
   * How strongly `dir` looks like this format from its files alone: 0 = not at all; higher wins
   * (a marker file such as migration_lock.toml beats a file-name pattern).
   */
  detectFolder(dir: string): number;
  /**
   * Reads the folder: every migration, in the order the tool applies them. Files that do not
   * belong to the format are ignored; files that look like it but are broken (a dbmate file
   * without `-- migrate:up`, an up file without a version) are a USAGE error naming the file —
   * unless the tool itself skips them with a warning (the Supabase CLI): then `warn` says so.
   */
  read(dir: string, warn?: (message: string) => void): Migration[];
  history: HistoryAdapter;
}
