/**
 * How migration runners send a file to PostgreSQL. The same SQL is safe under one runner and
 * fails or locks longer under another, so the linter models the runner that will execute it.
 */
export interface RunnerProfile {
  id: RunnerId;
  title: string;
  /**
   * `per-file`: the file runs in one transaction; `none`: each statement commits on its own
   * (psql -f); `implicit-multi-statement`: the file is sent as one query string, which
   * PostgreSQL runs as one implicit transaction when it holds more than one statement.
   */
  transaction: 'per-file' | 'none' | 'implicit-multi-statement';
  /** The runner sets lock_timeout / statement_timeout itself. */
  setsLockTimeout: boolean;
  setsStatementTimeout: boolean;
  /**
   * What happens to statements PostgreSQL refuses in a transaction block: `isolate` runs them
   * alone, outside any transaction (pgwarden); `autocommit-file` runs the whole file without a
   * transaction (Flyway); `fail` sends them in the transaction, where PostgreSQL refuses them.
   */
  nonTransactional: 'isolate' | 'autocommit-file' | 'fail';
  /**
   * The runner records progress per statement and resumes after the last one that succeeded, so
   * re-running a partly applied migration never repeats a statement (pgwarden).
   */
  resumesPerStatement: boolean;
  /**
   * The runner does not run a file's own BEGIN/START/COMMIT (its transactions replace them) and
   * refuses any other transaction control but savepoints (pgwarden; src/sql/transaction-control.ts).
   */
  dropsTransactionControl?: boolean;
  /**
   * The runner runs an UPDATE after `-- pgwarden:backfill` in batches, each a short transaction of
   * its own, outside the file's transaction (pgwarden); for the others it is a comment.
   */
  backfills?: boolean;
}

export const RUNNER_IDS = ['pgwarden', 'psql', 'transaction', 'single-query', 'flyway'] as const;
export type RunnerId = (typeof RUNNER_IDS)[number];

export const RUNNERS: Record<RunnerId, RunnerProfile> = {
  pgwarden: {
    id: 'pgwarden',
    title:
      'pgwarden migrate: one transaction per file with lock_timeout and statement_timeout; non-transactional statements run alone',
    transaction: 'per-file',
    setsLockTimeout: true,
    setsStatementTimeout: true,
    nonTransactional: 'isolate',
    resumesPerStatement: true,
    backfills: true,
    dropsTransactionControl: true,
  },
  psql: {
    id: 'psql',
    title: 'psql -f / autocommit: every statement commits on its own unless the file says BEGIN',
    transaction: 'none',
    setsLockTimeout: false,
    setsStatementTimeout: false,
    nonTransactional: 'fail',
    resumesPerStatement: false,
  },
  transaction: {
    id: 'transaction',
    title: 'one transaction per file, no timeouts (dbmate, node-pg-migrate, Supabase, Liquibase)',
    transaction: 'per-file',
    setsLockTimeout: false,
    setsStatementTimeout: false,
    nonTransactional: 'fail',
    resumesPerStatement: false,
  },
  'single-query': {
    id: 'single-query',
    title: 'the whole file sent as one query string (Prisma, golang-migrate, graphile-migrate)',
    transaction: 'implicit-multi-statement',
    setsLockTimeout: false,
    setsStatementTimeout: false,
    nonTransactional: 'fail',
    resumesPerStatement: false,
  },
  flyway: {
    id: 'flyway',
    title: 'Flyway: one transaction per file; a file with a non-transactional statement runs without one',
    transaction: 'per-file',
    setsLockTimeout: false,
    setsStatementTimeout: false,
    nonTransactional: 'autocommit-file',
    resumesPerStatement: false,
  },
};

/** Other names people know runners by. */
export const RUNNER_ALIASES: Record<string, RunnerId> = {
  prisma: 'single-query',
  'golang-migrate': 'single-query',
  'graphile-migrate': 'single-query',
  dbmate: 'transaction',
  'node-pg-migrate': 'transaction',
  'sql-migrate': 'transaction',
  diesel: 'transaction',
  supabase: 'transaction',
  liquibase: 'transaction',
  autocommit: 'psql',
  none: 'psql',
};

export function resolveRunner(name: string): RunnerProfile | undefined {
  const id = (RUNNER_IDS as readonly string[]).includes(name) ? (name as RunnerId) : RUNNER_ALIASES[name];
  return id ? RUNNERS[id] : undefined;
}
