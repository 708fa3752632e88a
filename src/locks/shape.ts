import type { LockMode } from './modes.js';

/**
 * The relations a statement shape involves, by the part they play:
 * - `table`: the table the statement names (for an index statement, the index's table);
 * - `indexes`: every index of that table; `index`: the one index the statement names;
 * - `column-indexes`: the indexes on the column being changed;
 * - `referenced`: the table a foreign key points to; `referencing`: tables whose foreign keys
 *   point at the table (TRUNCATE … CASCADE);
 * - `parent` / `partition` / `partitions`: a partitioned table, one partition, all partitions;
 * - `source`: a table a query reads (CREATE VIEW, INSERT … SELECT, REFRESH);
 * - `sequence`: the sequence the statement names.
 */
export type Role =
  | 'table'
  | 'indexes'
  | 'index'
  | 'column-indexes'
  | 'referenced'
  | 'referencing'
  | 'parent'
  | 'partition'
  | 'partitions'
  | 'source'
  | 'sequence';

export interface RelationLock {
  on: Role;
  modes: LockMode[];
}

/** What a statement shape does on one PostgreSQL major version. */
export interface ShapeFacts {
  /** Table-level locks taken, per involved relation; held until the transaction ends. */
  locks: RelationLock[];
  /** Relations whose storage is rewritten (a new relfilenode: every row copied). */
  rewrites: Role[];
  /** Relations read in full (to build an index, check a constraint, copy rows…). */
  scans: Role[];
  /** False when PostgreSQL refuses the statement inside a transaction block. */
  transactional: boolean;
}

/** How the test suite checks a shape's facts against a real server (see test/locks). */
export interface Verification {
  /** Statements run one by one, in a fresh schema that is first on the search_path. */
  setup: string[];
  /** The statement whose locks, rewrites and scans are observed. */
  sql: string;
  /** Which relation of the setup plays which role. */
  relations: Partial<Record<Role, string | string[]>>;
  /** Session settings for the observed statement, e.g. `{ TimeZone: 'UTC' }`. */
  settings?: Record<string, string>;
  /** Statements run once before `setup` outside any transaction (e.g. tablespaces), and after. */
  before?: string[];
  after?: string[];
  /**
   * Non-transactional shapes are observed from other sessions while they run: a blocker holds
   * this lock on `table` (default: a REPEATABLE READ snapshot plus ACCESS SHARE) so the
   * statement waits with its locks visible in pg_locks.
   */
  blocker?: LockMode;
}

export interface LockShape extends ShapeFacts {
  /** Stable id, kebab-case, e.g. `add-column-default-volatile`. */
  id: string;
  /** What the statement looks like, in SQL shorthand. */
  title: string;
  /** An example statement (shown in docs). */
  example: string;
  /** First PostgreSQL major that accepts the statement. */
  since?: number;
  /**
   * Facts that differ on older majors: each entry applies to majors below `before`. The first
   * matching entry (lowest `before` first is not required; the smallest matching `before` wins).
   */
  older?: Array<{ before: number; note: string } & Partial<ShapeFacts>>;
  /** Why the facts are what they are, or what makes the shape different from a close one. */
  note?: string;
  verify: Verification;
}
