/** Columns added earlier in the file being linted: no deployed code can be using them yet. */
import { type QualifiedName, rangeVarName } from '../analysis/names.js';
import type { RuleContext } from './rule.js';

/** `schema.table.column` for a column of a table named in the SQL. */
export function columnKey(
  ctx: RuleContext,
  table: QualifiedName | undefined,
  column: string,
): string | undefined {
  if (!table) return undefined;
  return `${ctx.table(table)?.key ?? ctx.schema.keyOf(table)}.${column}`;
}

/**
 * Columns added by ALTER TABLE … ADD COLUMN earlier in the file being linted: no deployed code can
 * be using them yet. The set is the calling rule's whole `ctx.state`, so a rule using it must keep
 * no other state. Call `recordAddedColumns` after checking each statement.
 */
export function addedColumns(ctx: RuleContext): Set<string> {
  return ctx.state(() => new Set<string>());
}

/** Adds the current statement's ADD COLUMNs to `addedColumns`. */
export function recordAddedColumns(ctx: RuleContext): void {
  const { stmt } = ctx;
  if (ctx.deferred || stmt.kind !== 'AlterTableStmt') return;
  const added = addedColumns(ctx);
  const table = rangeVarName(stmt.node.relation);
  for (const item of stmt.node.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    const column = cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.colname : undefined;
    const key = typeof column === 'string' ? columnKey(ctx, table, column) : undefined;
    if (key) added.add(key);
  }
}
