/**
 * What `trace` returns, and what `--json` prints.
 *
 * Shape:
 * {
 *   path, mode: 'rollback' | 'scratch', pgVersion,
 *   statements: [{
 *     index,               // 0-based position among the file's top-level statements
 *     line,                // 1-based line of the file where it starts
 *     sql,                 // statement text, at most 200 characters
 *     kind,                // parse node type, e.g. AlterTableStmt
 *     ran,                 // false when skipped
 *     skipped?,            // why it was not run
 *     durationMs,
 *     locks: [{ relation, modes, created? }],   // locks newly held after it (mode names as in pg_locks);
 *                                               // created: the relation was created in this transaction,
 *                                               // so no other session can wait for it
 *     rewrites: [relation], created: [relation], dropped: [relation],
 *     scans: [{ relation, seqScans, tuplesRead }],
 *     predicted?: [{ relation, modes }],        // the lock table's locks, for statements not observed
 *     observed,            // false: locks not seen in pg_locks (skipped, or run outside a transaction)
 *   }],
 *   error?: { statementIndex, line, message, code, hint?, lockWait?, holders? },
 *   totalMs,               // sum of the statements' durations (observation queries excluded)
 *   rolledBack,            // rollback mode: the transaction was rolled back (always)
 *   scratch?: { database, dropped, dropError? }
 * }
 * Relations are `schema.name`, a part quoted when it is not a plain lower-case word (src/sql/quote.ts).
 */
import { type LockMode, lockModeSql } from '../locks/modes.js';
import type { Blocker, LockWait } from './lock-wait.js';
import type { ObservedLock, ObservedScan } from './observe.js';

export interface PredictedLock {
  relation: string;
  modes: LockMode[];
}

export interface TracedStatement {
  index: number;
  line: number;
  sql: string;
  kind: string;
  ran: boolean;
  skipped?: string;
  durationMs: number;
  locks: ObservedLock[];
  rewrites: string[];
  created: string[];
  dropped: string[];
  scans: ObservedScan[];
  predicted?: PredictedLock[];
  observed: boolean;
}

export interface TraceError {
  statementIndex: number;
  line: number;
  message: string;
  /** SQLSTATE, when the server sent one (55P03 = lock timeout). */
  code: string | undefined;
  hint?: string;
  /** For a lock timeout: what the statement waited for and who was in the way. */
  lockWait?: LockWait;
  /** For a lock timeout the poll did not catch: sessions holding conflicting locks on the statement's relations. */
  holders?: { relation: string; blockers: Blocker[] }[];
}

export interface TraceResult {
  path: string;
  mode: 'rollback' | 'scratch';
  pgVersion: string;
  statements: TracedStatement[];
  error?: TraceError;
  totalMs: number;
  rolledBack: boolean;
  scratch?: { database: string; dropped: boolean; dropError?: string };
}

export function describeBlocker(b: Blocker): string {
  const app = b.applicationName ? ` (${b.applicationName})` : '';
  const state = b.state ? `, ${b.state}` : '';
  const since = b.transactionStart ? `, transaction open since ${b.transactionStart}` : '';
  const holds = b.modes.length
    ? `, holding ${b.modes.map((m) => lockModeSql(m as LockMode)).join(' + ')}`
    : '';
  return `pid ${b.pid}${app}${state}${holds}${since}`;
}
