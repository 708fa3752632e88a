/**
 * The statements `trace` runs, planned before anything runs: each top-level statement with its
 * file line, its lock-table effects (classified against the live schema plus the statements before
 * it, as the linter does), whether PostgreSQL accepts it in a transaction block, and whether it is
 * the file's own transaction control (which trace never runs).
 */
import { classify } from '../analysis/classify.js';
import type { Effect } from '../analysis/effects.js';
import type { SchemaModel } from '../analysis/schema-model.js';
import type { Statement } from '../sql/statement.js';

/** The file's own transaction control; trace owns the transaction(s). Savepoints run normally. */
const TRANSACTION_CONTROL = new Set([
  'TRANS_STMT_BEGIN',
  'TRANS_STMT_START',
  'TRANS_STMT_COMMIT',
  'TRANS_STMT_ROLLBACK',
  'TRANS_STMT_PREPARE',
  'TRANS_STMT_COMMIT_PREPARED',
  'TRANS_STMT_ROLLBACK_PREPARED',
]);

export interface Planned {
  stmt: Statement;
  index: number;
  line: number;
  effects: Effect[];
  transactional: boolean;
  control: boolean;
}

export function planStatements(
  statements: readonly Statement[],
  model: SchemaModel,
  pgMajor: number,
  lineOf: (offset: number) => number,
  path: string,
): Planned[] {
  const ctx = { model, pgMajor };
  const plan: Planned[] = [];
  for (const stmt of statements) {
    if (stmt.origin === 'file') {
      let effects: Effect[] = [];
      try {
        effects = classify(stmt, ctx);
      } catch {
        effects = [];
      }
      plan.push({
        stmt,
        index: plan.length,
        line: lineOf(stmt.span.start),
        effects,
        transactional: effects.every((e) => e.facts.transactional),
        control: stmt.kind === 'TransactionStmt' && TRANSACTION_CONTROL.has(stmt.node?.kind),
      });
    }
    if (stmt.origin !== 'function-body') {
      try {
        model.apply(stmt.kind, stmt.node, path);
      } catch {
        // an unusual statement the model cannot follow: later predictions know less, nothing more
      }
    }
  }
  return plan;
}
