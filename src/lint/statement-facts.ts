/** Questions several rules ask about the current statement and the file so far. */

import type { Effect } from '../analysis/effects.js';
import { rangeVarName } from '../analysis/names.js';
import { isDisruptive } from '../locks/modes.js';
import type { Statement } from '../sql/statement.js';
import type { RuleContext } from './rule.js';

/** The first effect of the statement that takes a lock the application would queue behind. */
export function disruptiveEffect(ctx: RuleContext): Effect | undefined {
  return ctx.effects.find((effect) =>
    effect.facts.locks.some(
      (lock) => isDisruptive(lock.modes) && (effect.relations[lock.on] ?? []).some((key) => !ctx.isNew(key)),
    ),
  );
}

/**
 * True when rows were written into the table (INSERT, COPY … FROM) earlier in the file being
 * linted: a table created in this migration is then not empty.
 */
export function filledEarlier(ctx: RuleContext, key: string | undefined): boolean {
  if (key === undefined) return false;
  return ctx.statements.some((s) => {
    if (s.index >= ctx.stmt.index || s.origin === 'function-body') return false;
    const writes = s.kind === 'InsertStmt' || (s.kind === 'CopyStmt' && s.node.is_from === true);
    const target = writes ? rangeVarName(s.node.relation) : undefined;
    return target !== undefined && ctx.schema.keyOf(target) === key;
  });
}

/** The contype of the column constraint of an ALTER TABLE … ADD COLUMN at this AST location. */
export function columnConstraintType(stmt: Statement, location: number | undefined): string | undefined {
  if (stmt.kind !== 'AlterTableStmt' || location === undefined) return undefined;
  for (const item of stmt.node.cmds ?? []) {
    for (const c of item.AlterTableCmd?.def?.ColumnDef?.constraints ?? []) {
      if (c.Constraint?.location === location) return c.Constraint.contype;
    }
  }
  return undefined;
}
