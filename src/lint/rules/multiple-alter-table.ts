import type { Effect } from '../../analysis/effects.js';
import { rangeVarName } from '../../analysis/names.js';
import { modesOn } from '../../locks/lock-table.js';
import { describeBlocks, LOCK_MODES, type LockMode, lockModeSql, strongest } from '../../locks/modes.js';
import type { Statement } from '../../sql/statement.js';
import { earlierStatement, shortName } from '../describe.js';
import { defineRule, type RuleContext } from '../rule.js';

/** Shapes that re-check every row for a new constraint (in one pass when merged). */
const VERIFY = new Set([
  'add-check',
  'add-column-check',
  'set-not-null',
  'add-primary-key-using-index-nullable',
  'alter-column-type-checked',
]);

/** Subcommands PostgreSQL refuses to combine with others, or that belong in their own transaction. */
const ALONE = new Set([
  'validate-check',
  'validate-foreign-key',
  'attach-partition',
  'attach-partition-with-check',
  'detach-partition',
  'detach-partition-concurrently',
]);

/** Subcommands that may name a column added by an earlier subcommand of the same ALTER TABLE. */
const ON_ADDED_COLUMN = new Set(['AT_SetNotNull', 'AT_DropNotNull', 'AT_ColumnDefault']);

/** Statements that may read or change any table: ALTERs before and after them cannot be merged. */
const BARRIERS = new Set([
  'SelectStmt',
  'UpdateStmt',
  'DeleteStmt',
  'InsertStmt',
  'MergeStmt',
  'CopyStmt',
  'DoStmt',
  'CallStmt',
  'ExecuteStmt',
]);

interface Alter {
  stmt: Statement;
  effects: readonly Effect[];
}

interface Group {
  tx: number;
  only: boolean;
  alters: Alter[];
}

export const rule = defineRule({
  id: 'multiple-alter-table',
  title: 'Several ALTER TABLE statements on one table',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'Each ALTER TABLE statement does its own work on the table. When two statements of one transaction each rewrite the table or check every row for a new constraint (a type change, SET NOT NULL, a CHECK, a volatile default…), the table is read or copied twice while the lock is held; merged into one ALTER TABLE, PostgreSQL rewrites and checks in a single pass. And when a later statement needs a stronger lock than an earlier one took (ACCESS EXCLUSIVE after the SHARE ROW EXCLUSIVE of a foreign key), the lock is upgraded mid-transaction: the upgrade waits behind every query on the table while the weaker lock already blocks writers, and can deadlock. Cheap catalog-only changes in one transaction cost nothing extra and are not reported.',
    safeAlternative: `-- one statement, comma-separated actions: one lock, one pass over the table
ALTER TABLE orders
  ALTER COLUMN quantity TYPE bigint,
  ALTER COLUMN price TYPE numeric(14,2);

-- not to be merged: a constraint added NOT VALID is validated in a later transaction
ALTER TABLE orders ADD CONSTRAINT orders_quantity_positive CHECK (quantity > 0) NOT VALID;
-- next migration:
ALTER TABLE orders VALIDATE CONSTRAINT orders_quantity_positive;`,
    whenFine:
      'The table was created earlier in the same migration; a data change or another statement on the table sits between the two (the order matters); the second one validates a constraint or attaches/detaches a partition (those cannot or should not be merged); or the statements run in separate transactions.',
  },
  examples: {
    bad: [
      {
        sql: 'ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;\nALTER TABLE orders ALTER COLUMN customer_id TYPE bigint;',
        before: 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, quantity int);',
      },
      'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users ALTER COLUMN name SET NOT NULL;',
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\nALTER TABLE orders ADD COLUMN note text;',
    ],
    good: [
      'ALTER TABLE orders ALTER COLUMN quantity TYPE bigint, ALTER COLUMN price TYPE numeric(14,2);',
      'ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ADD COLUMN avatar_url text;',
      "ALTER TABLE users ADD COLUMN plan text DEFAULT 'free';\nUPDATE users SET plan = 'pro' WHERE legacy_plan = 'gold';\nALTER TABLE users ALTER COLUMN plan SET NOT NULL;",
      'ALTER TABLE orders ADD CONSTRAINT orders_quantity_positive CHECK (quantity > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_quantity_positive;',
      'CREATE TABLE invoices (id bigint PRIMARY KEY, total int);\nALTER TABLE invoices ALTER COLUMN total TYPE bigint;\nALTER TABLE invoices ALTER COLUMN total SET NOT NULL;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.origin !== 'file') return;
    const groups = ctx.state(() => new Map<string, Group>());
    if (!ctx.inTransaction) {
      groups.clear();
      return;
    }
    if (stmt.kind !== 'AlterTableStmt' || stmt.node.objtype !== 'OBJECT_TABLE') {
      if (BARRIERS.has(stmt.kind)) groups.clear();
      else for (const key of touched(ctx.effects)) groups.delete(key);
      return;
    }
    const name = rangeVarName(stmt.node.relation);
    if (!name) return;
    const key = ctx.schema.keyOf(name);
    // other tables this statement touches (a foreign key's referenced table) are not merge candidates
    for (const other of touched(ctx.effects)) if (other !== key) groups.delete(other);
    if (ctx.isNew(key) || ctx.effects.length === 0 || ctx.effects.some((e) => ALONE.has(e.shape))) {
      groups.delete(key);
      return;
    }
    const only = stmt.node.relation?.inh !== true;
    const current: Alter = { stmt, effects: ctx.effects };
    const group = groups.get(key);
    if (!group || group.tx !== ctx.tx.id || group.only !== only) {
      groups.set(key, { tx: ctx.tx.id, only, alters: [current] });
      return;
    }
    if (!namesAddedColumn(stmt, group.alters)) report(ctx, key, current, group.alters);
    group.alters.push(current);
  },
});

function touched(effects: readonly Effect[]): Set<string> {
  const out = new Set<string>();
  for (const effect of effects)
    for (const keys of Object.values(effect.relations)) for (const k of keys ?? []) out.add(k);
  return out;
}

/** The statement changes a column an earlier one adds: PostgreSQL refuses that in a single ALTER TABLE. */
function namesAddedColumn(stmt: Statement, earlier: Alter[]): boolean {
  const added = new Set<string>();
  for (const { stmt: e } of earlier)
    for (const item of e.node.cmds ?? []) {
      const cmd = item?.AlterTableCmd;
      if (cmd?.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef?.colname)
        added.add(cmd.def.ColumnDef.colname);
    }
  return (stmt.node.cmds ?? []).some((item: any) => {
    const cmd = item?.AlterTableCmd;
    return typeof cmd?.name === 'string' && added.has(cmd.name) && !ON_ADDED_COLUMN.has(cmd.subtype);
  });
}

/** What the statement makes PostgreSQL do with every row of the table, if anything. */
function pass(effects: readonly Effect[], key: string): { now: string; past: string } | undefined {
  const mine = effects.filter((e) => e.relations.table?.includes(key));
  // a type change from an unknown old type may be binary-coercible: not a certain rewrite
  const rewrites = (e: Effect) =>
    e.facts.rewrites.includes('table') && !(e.detail.oldTypeUnknown && e.detail.mayBeCoercible);
  if (mine.some(rewrites)) return { now: 'rewrites', past: 'rewrote' };
  if (mine.some((e) => VERIFY.has(e.shape)))
    return { now: 'checks every row of', past: 'checked every row of' };
  return undefined;
}

function tableModes(effects: readonly Effect[], key: string): LockMode[] {
  return effects.filter((e) => e.relations.table?.includes(key)).flatMap((e) => modesOn(e.facts, 'table'));
}

function report(ctx: RuleContext, key: string, current: Alter, earlier: Alter[]): void {
  const name = shortName(key, ctx.schema.defaultSchema);
  const first = earlier[0]!;
  const lines = [...earlier.map((a) => a.stmt), current.stmt].map((s) => ctx.lineOf(s.span.start));
  const help = `Merge the ALTER TABLE statements on ${name} (lines ${lines.join(', ')}) into one, with the actions separated by commas: ALTER TABLE ${name} …, …;`;

  const now = pass(current.effects, key);
  const before = earlier.find((a) => pass(a.effects, key));
  if (now && before) {
    ctx.report({
      message: `Another ALTER TABLE on ${name} in this transaction: this one ${now.now} ${name}, and ${earlierStatement(ctx, before.stmt)} already ${pass(before.effects, key)!.past} it; merged into one ALTER TABLE, PostgreSQL does both in a single pass while the lock is held`,
      location: current.stmt.node.relation?.location,
      help,
    });
    return;
  }

  const needed = strongest(tableModes(current.effects, key));
  const heldSet = ctx.tx.locksHeld(key);
  const held = strongest(heldSet);
  if (needed && held && LOCK_MODES.indexOf(needed) > LOCK_MODES.indexOf(held)) {
    ctx.report({
      message: `Another ALTER TABLE on ${name} in this transaction needs ${lockModeSql(needed)} while the transaction holds ${lockModeSql(held)} from ${earlierStatement(ctx, first.stmt)}: the lock upgrade waits behind every query on ${name} while the weaker lock already blocks ${describeBlocks(heldSet)}, and can deadlock with sessions waiting on it; one ALTER TABLE takes the strong lock once`,
      location: current.stmt.node.relation?.location,
      help,
    });
  }
}
