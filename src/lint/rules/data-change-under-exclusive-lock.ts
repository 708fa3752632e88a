import { sources } from '../../analysis/classify.js';
import type { Effect } from '../../analysis/effects.js';
import { rangeVarName, stringList } from '../../analysis/names.js';
import { describeBlocks, isDisruptive, type LockMode, lockModeSql, strongest } from '../../locks/modes.js';
import type { Statement } from '../../sql/statement.js';
import { earlierStatement, shortName } from '../describe.js';
import { defineRule, type RuleContext } from '../rule.js';

const DATA_CHANGES: Record<string, string> = {
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  InsertStmt: 'INSERT … SELECT',
  MergeStmt: 'MERGE',
  SelectStmt: 'SELECT',
};

export const rule = defineRule({
  id: 'data-change-under-exclusive-lock',
  title: 'Changing or reading data while holding ACCESS EXCLUSIVE',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['update', 'delete', 'insert-select'],
  docs: {
    problem:
      "Locks are held until the transaction ends. When a migration first changes a table's schema (ACCESS EXCLUSIVE for most ALTER TABLE forms, SHARE for CREATE INDEX, SHARE ROW EXCLUSIVE for a foreign key or trigger…) and then updates, deletes or copies its rows in the same transaction, the strong lock stays on for the whole data change: a backfill that takes minutes blocks the application's reads and writes of that table for minutes, although the schema change itself took milliseconds. A SELECT that reads the table afterwards (a count, a check of the data) holds the lock just as long.",
    safeAlternative: `-- migration 1: the schema change, alone in its short transaction
ALTER TABLE users ADD COLUMN plan text;

-- migration 2 (or a script outside the migrations): backfill in small batches, each its own transaction
UPDATE users SET plan = 'free' WHERE id IN (SELECT id FROM users WHERE plan IS NULL LIMIT 5000);
-- … repeat until no row is left, then add the constraints that need the data`,
    whenFine:
      'The table was created earlier in the same migration (nobody else uses it yet), the change touches a handful of rows (e.g. by primary key), or the application is stopped. A data change or read before the schema change, or in another transaction, is not reported, nor a SELECT with a LIMIT.',
  },
  examples: {
    bad: [
      "ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free';",
      'ALTER TABLE users ADD COLUMN plan text;\nSELECT count(*) FROM users WHERE plan IS NULL;',
      'CREATE INDEX orders_customer_idx ON orders (customer_id);\nDELETE FROM orders WHERE customer_id IS NULL;',
      {
        sql: 'BEGIN;\nALTER TABLE events RENAME COLUMN ts TO at;\nINSERT INTO events (id, at) SELECT id, ts FROM events_old;\nCOMMIT;',
        runner: 'psql',
      },
    ],
    good: [
      "UPDATE users SET plan = 'free' WHERE plan IS NULL;\nALTER TABLE users ALTER COLUMN plan SET DEFAULT 'free';",
      'ALTER TABLE users ADD COLUMN plan text;\nSELECT id FROM users LIMIT 1;',
      'CREATE TABLE plans (id bigint PRIMARY KEY, name text);\nALTER TABLE plans ADD COLUMN price numeric;\nUPDATE plans SET price = 0;',
      { sql: "ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free';", runner: 'psql' },
      {
        sql: "ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'pro' WHERE id = 42;",
        before: 'CREATE TABLE users (id bigint PRIMARY KEY, email text);',
      },
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    const verb = DATA_CHANGES[stmt.kind];
    if (!verb || ctx.deferred || !ctx.inTransaction) return;
    const reads = stmt.kind === 'SelectStmt';
    // a read with a LIMIT is bounded: a check of a few rows, not a scan under the lock
    if (reads && stmt.node.limitCount) return;
    const key = reads ? readUnderLock(ctx) : targetKey(ctx);
    if (!key || ctx.isNew(key)) return;
    if (stmt.kind === 'InsertStmt' && !ctx.effects.some((e) => e.shape === 'insert-select')) return;
    const held = [...ctx.tx.locksHeld(key)];
    if (!isDisruptive(held)) return;
    if (singleRow(ctx, key)) return;
    // one finding per table and transaction: the later changes are the same problem
    const reported = ctx.state(() => new Set<string>());
    const once = `${ctx.tx.id}:${key}`;
    if (reported.has(once)) return;
    reported.add(once);
    const takers = lockTakers(ctx, key);
    // a lock taken on purpose with LOCK TABLE is meant to be held for what follows
    if (takers.length > 0 && takers.every((t) => t.kind === 'LockStmt')) return;
    const taker = takers.find((t) => t.kind !== 'LockStmt');
    const mode = strongest(held) as LockMode;
    const name = shortName(key, ctx.schema.defaultSchema);
    const by = taker ? ` taken by ${earlierStatement(ctx, taker)}` : ' taken earlier in this transaction';
    if (reads) {
      ctx.report({
        message: `SELECT reads ${name} while this transaction holds the ${lockModeSql(mode)} lock on ${name}${by}: ${describeBlocks(held)} of ${name} stay blocked until the query is done and the transaction commits`,
        help: 'Read the table before the schema change, or in a later transaction (a check of the data belongs in a migration of its own).',
        notFixable: true,
      });
      return;
    }
    ctx.report({
      message: `${verb} on ${name} runs while this transaction holds the ${lockModeSql(mode)} lock on ${name}${by}: ${describeBlocks(held)} of ${name} stay blocked until the whole data change is done and the transaction commits`,
      location: ctx.effects[0]?.location ?? stmt.node.relation?.location,
      help: ctx.tx.explicit
        ? 'COMMIT the schema change first and change the data in later transactions, in batches.'
        : ctx.runner.transaction === 'implicit-multi-statement'
          ? `Move the data change to a later migration and run it in batches: the runner (${ctx.runner.id}) sends the whole file as one query, which PostgreSQL runs as one transaction.`
          : `Move the data change to a later migration and run it in batches: the runner (${ctx.runner.id}) runs each file in one transaction.`,
    });
  },
});

/** The first table a SELECT reads on which this transaction holds a lock the application queues behind. */
function readUnderLock(ctx: RuleContext): string | undefined {
  return sources(ctx.stmt.node)
    .map((name) => ctx.schema.keyOf(name))
    .find((key) => !ctx.isNew(key) && isDisruptive([...ctx.tx.locksHeld(key)]));
}

function targetKey(ctx: RuleContext): string | undefined {
  const fromEffect = ctx.effects.find((e) => e.relations.table?.length)?.relations.table?.[0];
  if (fromEffect) return fromEffect;
  const name = rangeVarName(ctx.stmt.node.relation);
  return name ? ctx.schema.keyOf(name) : undefined;
}

/** The earlier statements of the transaction that took a lock on `key` blocking the application. */
function lockTakers(ctx: RuleContext, key: string): Statement[] {
  const disruptive = (effect: Effect) =>
    effect.facts.locks.some((l) => isDisruptive(l.modes) && (effect.relations[l.on] ?? []).includes(key));
  return ctx.tx.history.filter((h) => h.effects.some(disruptive)).map((h) => h.stmt);
}

/**
 * UPDATE / DELETE whose WHERE pins a primary key or unique index to constants: one row, a
 * moment under the lock. Only when the schema model knows that index.
 */
function singleRow(ctx: RuleContext, key: string): boolean {
  if (ctx.stmt.kind !== 'UpdateStmt' && ctx.stmt.kind !== 'DeleteStmt') return false;
  const pinned = new Set<string>();
  const collect = (expr: any): void => {
    if (expr?.BoolExpr?.boolop === 'AND_EXPR') {
      for (const arg of expr.BoolExpr.args ?? []) collect(arg);
      return;
    }
    const e = expr?.A_Expr;
    if (e?.kind !== 'AEXPR_OP' || stringList(e.name)[0] !== '=') return;
    for (const [column, value] of [
      [e.lexpr, e.rexpr],
      [e.rexpr, e.lexpr],
    ]) {
      const field = stringList(column?.ColumnRef?.fields).at(-1);
      if (field && (value?.A_Const || value?.ParamRef)) pinned.add(field);
    }
  };
  collect(ctx.stmt.node.whereClause);
  if (pinned.size === 0) return false;
  return [...ctx.schema.indexes.values()].some(
    (index) =>
      index.table === key &&
      index.unique &&
      index.columns.length > 0 &&
      index.columns.every((c) => pinned.has(c)),
  );
}
