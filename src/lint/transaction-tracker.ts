/**
 * Follows a migration file statement by statement the way its runner will execute it: which
 * statements share a transaction, which locks that transaction already holds, whether
 * lock_timeout / statement_timeout are set, and which enum values it added.
 */
import type { Effect } from '../analysis/effects.js';
import type { LockMode } from '../locks/modes.js';
import type { Statement } from '../sql/statement.js';
import { runnerDrops } from '../sql/transaction-control.js';
import type { RunnerProfile } from './runners.js';

export type TimeoutSource = 'runner' | 'session' | 'transaction';

export interface TransactionView {
  /** The statement runs inside a transaction block (explicit or implicit). */
  readonly inTransaction: boolean;
  /** An explicit BEGIN of the file is open. */
  readonly explicit: boolean;
  /** Increments for every new transaction. */
  readonly id: number;
  /** Where lock_timeout / statement_timeout come from, if set. */
  readonly lockTimeout: TimeoutSource | undefined;
  readonly statementTimeout: TimeoutSource | undefined;
  /** Lock modes the current transaction already holds, by relation key. */
  locksHeld(relation: string): ReadonlySet<LockMode>;
  /** Earlier statements of the current transaction, with their effects. */
  readonly history: ReadonlyArray<{ stmt: Statement; effects: Effect[] }>;
  /** Enum values added in the current transaction, keyed by type and value. */
  readonly enumValuesAdded: ReadonlyMap<string, { type: string; value: string; statement: Statement }>;
}

export class TransactionTracker implements TransactionView {
  inTransaction = false;
  explicit = false;
  id = 0;
  lockTimeout: TimeoutSource | undefined;
  statementTimeout: TimeoutSource | undefined;
  history: { stmt: Statement; effects: Effect[] }[] = [];
  enumValuesAdded = new Map<string, { type: string; value: string; statement: Statement }>();
  private locks = new Map<string, Set<LockMode>>();
  private sessionLockTimeout = false;
  private sessionStatementTimeout = false;
  /** Statements run in autocommit mode after a COMMIT ended the runner's transaction. */
  private autocommit: boolean;
  private readonly runner: RunnerProfile;

  constructor(runner: RunnerProfile, topLevelCount: number, hasNonTransactional: boolean) {
    this.runner = runner;
    const wraps =
      (runner.transaction === 'per-file' &&
        !(runner.nonTransactional === 'autocommit-file' && hasNonTransactional)) ||
      (runner.transaction === 'implicit-multi-statement' && topLevelCount > 1);
    this.autocommit = !wraps;
    if (wraps) this.open();
    this.sessionLockTimeout = runner.setsLockTimeout;
    this.sessionStatementTimeout = runner.setsStatementTimeout;
    this.refreshTimeouts();
  }

  locksHeld(relation: string): ReadonlySet<LockMode> {
    return this.locks.get(relation) ?? new Set();
  }

  private open(): void {
    this.inTransaction = true;
    this.id++;
    this.locks = new Map();
    this.history = [];
    this.enumValuesAdded = new Map();
    this.localLockTimeout = false;
    this.localStatementTimeout = false;
  }

  private close(): void {
    this.inTransaction = false;
    this.explicit = false;
    this.locks = new Map();
    this.history = [];
    this.enumValuesAdded = new Map();
    this.localLockTimeout = false;
    this.localStatementTimeout = false;
  }

  private localLockTimeout = false;
  private localStatementTimeout = false;

  private refreshTimeouts(): void {
    this.lockTimeout = this.runner.setsLockTimeout
      ? 'runner'
      : this.localLockTimeout
        ? 'transaction'
        : this.sessionLockTimeout
          ? 'session'
          : undefined;
    this.statementTimeout = this.runner.setsStatementTimeout
      ? 'runner'
      : this.localStatementTimeout
        ? 'transaction'
        : this.sessionStatementTimeout
          ? 'session'
          : undefined;
  }

  /**
   * Called before the rules see a top-level statement: a non-transactional statement under a
   * runner that isolates them runs outside the file's transaction, as does a `-- pgwarden:backfill`
   * UPDATE (`batched`) under the runner that runs it in batches.
   */
  before(stmt: Statement, effects: Effect[], batched = false): void {
    if (stmt.origin !== 'file') return;
    const nonTransactional = batched || effects.some((e) => !e.facts.transactional);
    if (
      nonTransactional &&
      this.inTransaction &&
      !this.explicit &&
      this.runner.nonTransactional === 'isolate'
    ) {
      this.close();
      this.isolated = true;
    }
    if (!this.inTransaction && this.autocommit && !isBegin(stmt)) {
      // autocommit: the statement is its own transaction
      this.id++;
      this.locks = new Map();
      this.history = [];
      this.enumValuesAdded = new Map();
    }
  }

  private isolated = false;

  /** Called after the rules saw a statement: records its effects and transaction control. */
  after(stmt: Statement, effects: Effect[]): void {
    if (stmt.origin === 'function-body') return;
    if (stmt.kind === 'TransactionStmt') {
      // the runner drops the file's own BEGIN/COMMIT: they change nothing
      if (!(this.runner.dropsTransactionControl && runnerDrops(stmt.node)))
        this.transactionControl(stmt.node);
      return;
    }
    if (stmt.kind === 'VariableSetStmt') this.setting(stmt.node);
    if (this.inTransaction) {
      for (const effect of effects) {
        for (const lock of effect.facts.locks) {
          for (const key of effect.relations[lock.on] ?? []) {
            const set = this.locks.get(key) ?? new Set<LockMode>();
            for (const mode of lock.modes) set.add(mode);
            this.locks.set(key, set);
          }
        }
      }
      if (stmt.kind === 'AlterEnumStmt' && !stmt.node.oldVal && typeof stmt.node.newVal === 'string') {
        const type = (stmt.node.typeName ?? []).map((n: any) => n.String?.sval).join('.');
        this.enumValuesAdded.set(`${type}\u0000${stmt.node.newVal}`, {
          type,
          value: stmt.node.newVal,
          statement: stmt,
        });
      }
      this.history.push({ stmt, effects });
    }
    if (stmt.origin === 'file' && this.isolated) {
      // back into a new transaction for the rest of the file
      this.isolated = false;
      this.open();
    }
  }

  private transactionControl(node: any): void {
    const kind = node.kind as string;
    switch (kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        if (!this.inTransaction) this.open();
        this.explicit = true;
        break;
      case 'TRANS_STMT_COMMIT':
      case 'TRANS_STMT_ROLLBACK':
      case 'TRANS_STMT_COMMIT_PREPARED':
      case 'TRANS_STMT_ROLLBACK_PREPARED':
      case 'TRANS_STMT_PREPARE':
        this.close();
        if (node.chain === true && (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK')) {
          // COMMIT/ROLLBACK AND CHAIN starts a new transaction at once
          this.open();
          this.explicit = true;
        } else {
          this.autocommit = true;
        }
        break;
      default:
        break;
    }
    this.refreshTimeouts();
  }

  private setting(node: any): void {
    const name = String(node.name ?? '').toLowerCase();
    if (name !== 'lock_timeout' && name !== 'statement_timeout') return;
    const value = node.args?.[0]?.A_Const;
    const zero = value?.ival !== undefined && (value.ival.ival ?? 0) === 0;
    const set = node.kind === 'VAR_SET_VALUE' && !zero && !(value?.sval?.sval === '0');
    const local = node.is_local === true;
    if (name === 'lock_timeout') {
      if (local) this.localLockTimeout = set && this.inTransaction;
      else this.sessionLockTimeout = set;
    } else if (local) this.localStatementTimeout = set && this.inTransaction;
    else this.sessionStatementTimeout = set;
    this.refreshTimeouts();
  }
}

function isBegin(stmt: Statement): boolean {
  return (
    stmt.kind === 'TransactionStmt' &&
    (stmt.node.kind === 'TRANS_STMT_BEGIN' || stmt.node.kind === 'TRANS_STMT_START')
  );
}
