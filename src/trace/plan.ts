/**
 * The statements `trace` runs, planned before anything runs: each top-level statement with its
 * file line, its lock-table effects (classified against the live schema plus the statements before
 * it, as the linter does), whether PostgreSQL accepts it in a transaction block, and whether it is
 * the file's own transaction control (which trace never runs).
 */
import { classify } from '../analysis/classify.js';
import type { Effect } from '../analysis/effects.js';
import type { SchemaModel } from '../analysis/schema-model.js';
import { modesOn } from '../locks/lock-table.js';
import { LOCK_MODES, type LockMode } from '../locks/modes.js';
import type { Role } from '../locks/shape.js';
import type { Statement } from '../sql/statement.js';
import type { PredictedLock } from './result.js';

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

/** The lock table's locks of a statement, merged per relation (roles without a known relation are left out). */
export function predict(effects: Effect[]): PredictedLock[] {
  const byRelation = new Map<string, Set<LockMode>>();
  for (const effect of effects) {
    for (const role of Object.keys(effect.relations) as Role[]) {
      const modes = modesOn(effect.facts, role);
      for (const key of effect.relations[role] ?? []) {
        const set = byRelation.get(key) ?? new Set<LockMode>();
        for (const mode of modes) set.add(mode);
        byRelation.set(key, set);
      }
    }
  }
  return [...byRelation]
    .filter(([, modes]) => modes.size > 0)
    .map(([relation, modes]) => ({ relation, modes: LOCK_MODES.filter((m) => modes.has(m)) }));
}

/** The JavaScript index of the `n`-th character (code point, as PostgreSQL counts) of `text`. */
export function charIndex(text: string, n: number): number {
  let index = 0;
  for (let i = 0; i < n && index < text.length; i++) {
    const code = text.charCodeAt(index);
    index += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
  }
  return index;
}
