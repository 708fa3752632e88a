/**
 * The catalogue of pgwarden's error codes. Every expected failure carries one of these codes;
 * the exit code of the CLI is derived from the code's class, in one place (`exitCodeFor`).
 */
export type ErrorClass = 'usage' | 'environment' | 'failure' | 'interrupted' | 'internal';

interface CodeInfo {
  readonly class: ErrorClass;
  readonly title: string;
}

export const ERROR_CODES = {
  USAGE: { class: 'usage', title: 'Invalid command-line usage' },
  CONFIG_INVALID: { class: 'usage', title: 'The configuration is invalid' },
  PATH_NOT_FOUND: { class: 'usage', title: 'A path given on the command line does not exist' },
  PATH_UNREADABLE: { class: 'usage', title: 'A file or directory cannot be read' },
  NO_SQL_FILES: { class: 'usage', title: 'A directory given to lint holds no .sql file' },
  FORMAT_MISMATCH: {
    class: 'usage',
    title: "The migrations folder is not in the format given, or a file holds another tool's down section",
  },
  PATH_UNWRITABLE: {
    class: 'environment',
    title: 'A file or directory cannot be written (permission denied, read-only file system)',
  },
  FILE_NOT_UTF8: { class: 'usage', title: 'A SQL file is not valid UTF-8' },
  UNKNOWN_RULE: { class: 'usage', title: 'A rule id is not known' },
  DATABASE_URL_INVALID: {
    class: 'usage',
    title: 'The database URL cannot be read (an unencoded special character, an unsupported form)',
  },
  DB_CONNECT: { class: 'environment', title: 'Cannot connect to the database' },
  DB_QUERY: { class: 'environment', title: 'A catalog query failed' },
  TOOL_MISSING: { class: 'environment', title: 'A required program is missing or too old' },
  DB_CONNECTION_LOST: { class: 'environment', title: 'The connection to the database was lost' },
  LOCK_BUSY: { class: 'environment', title: 'Another deploy holds the migration lock' },
  LOCK_LOST: {
    class: 'environment',
    title: 'The migration lock was lost during the run (its connection was closed); the run stopped',
  },
  MIGRATION_INVALID: {
    class: 'failure',
    title: 'A migration cannot be run as written (syntax error, psql command, transaction control)',
  },
  MIGRATION_FAILED: { class: 'failure', title: 'A migration failed and was rolled back' },
  LOCK_TIMEOUT: {
    class: 'failure',
    title: 'A migration could not get its locks within the retry budget and was rolled back',
  },
  MIGRATIONS_INCONSISTENT: {
    class: 'failure',
    title: 'The migration history does not match the files (modified, missing or failed)',
  },
  MIGRATIONS_UNCOMMITTED: { class: 'failure', title: 'Migration files are untracked or modified in git' },
  NOTHING_TO_ROLL_BACK: { class: 'failure', title: 'There is nothing to roll back' },
  BACKUP_NOT_FOUND: { class: 'usage', title: 'No backup with that id or path exists' },
  BACKUP_FOREIGN: {
    class: 'usage',
    title: 'The backup is of another database than the target (or not a PostgreSQL dump at all)',
  },
  PLAIN_DUMP_REFUSED: {
    class: 'usage',
    title:
      'A plain SQL dump holds more than SQL pgwarden can vet (psql commands or variables, transaction control, text read two ways)',
  },
  CONFIRMATION_REQUIRED: { class: 'usage', title: 'A destructive command needs a typed confirmation' },
  CONFIRMATION_MISMATCH: { class: 'usage', title: 'The confirmation or admin password did not match' },
  DISK_SPACE: { class: 'environment', title: 'Not enough free disk space' },
  RESTORE_INCOMPATIBLE: {
    class: 'environment',
    title: 'The archive, the local pg_restore and the target server versions do not fit together',
  },
  SESSIONS_CONNECTED: { class: 'environment', title: 'Other sessions are connected to the target database' },
  BACKUP_FAILED: { class: 'failure', title: 'The backup failed; no backup was published' },
  BACKUP_INVALID: {
    class: 'failure',
    title: 'The backup does not verify (checksum, truncated or corrupt archive, row counts)',
  },
  RESTORE_FAILED: { class: 'failure', title: 'The restore failed and was rolled back' },
  RESTORE_CHECK_FAILED: { class: 'failure', title: 'The restored database does not match the backup' },
  RESTORE_NOT_PROVEN: {
    class: 'failure',
    title: 'Not restored: writes since the backup other than the migrations could not be ruled out',
  },
  DEPLOY_WINDOW_CLOSED: { class: 'failure', title: 'Outside the deploy windows, or in a deploy freeze' },
  LINT_GATE: {
    class: 'failure',
    title: 'Lint errors in the pending migrations stopped migrate or deploy before any change',
  },
  HEALTH_CHECK_FAILED: { class: 'failure', title: 'The health check failed; the app was not started' },
  SCHEMA_DRIFT: {
    class: 'failure',
    title: 'The schema changed outside the migrations since the last deploy',
  },
  DRIFT_REPLAY_FAILED: {
    class: 'failure',
    title: 'The migrations failed to replay on an empty database (they do not build the schema)',
  },
  SHADOW_NOT_EMPTY: { class: 'usage', title: 'The --shadow-url database is not empty' },
  APP_NOT_STARTED: {
    class: 'environment',
    title: 'The app command could not be started (not found, not executable)',
  },
  BACKFILL_INVALID: {
    class: 'usage',
    title: 'A backfill cannot run as written (not one UPDATE, no key to walk, a key column set)',
  },
  BACKFILL_BUSY: { class: 'environment', title: 'Another run is doing the same backfill' },
  BACKFILL_FAILED: {
    class: 'failure',
    title: 'A backfill batch failed and was rolled back; the batches before it stay, the next run resumes',
  },
  FIX_REFUSED: {
    class: 'usage',
    title: 'pgwarden fix cannot rewrite this migration (applied, not the newest, or nothing it rewrites)',
  },
  INTERRUPTED: { class: 'interrupted', title: 'Interrupted' },
  INTERNAL: { class: 'internal', title: 'Internal error (a bug in pgwarden)' },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Exit codes of the CLI (DESIGN §2). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  environment: 3,
  internal: 70,
  interrupted: 130,
} as const;

export function exitCodeForClass(cls: ErrorClass): number {
  switch (cls) {
    case 'usage':
      return EXIT.usage;
    case 'environment':
      return EXIT.environment;
    case 'failure':
      return EXIT.failure;
    case 'interrupted':
      return EXIT.interrupted;
    case 'internal':
      return EXIT.internal;
  }
}
