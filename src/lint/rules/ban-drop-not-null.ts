import { rangeVarName } from '../../analysis/names.js';
import { relationName } from '../describe.js';
import { addedColumns, columnKey, recordAddedColumns } from '../file-columns.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'ban-drop-not-null',
  title: 'Dropping NOT NULL',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: ['drop-not-null'],
  docs: {
    problem:
      'ALTER COLUMN … DROP NOT NULL lets NULL into a column that code has always been able to trust. Deployed application code, reports, other services and downstream consumers that read the column without expecting NULL (a non-optional field in a model, a sum, a string operation, a NOT IN subquery) start failing or computing wrong results as soon as the first NULL is written. The statement itself only takes a brief ACCESS EXCLUSIVE lock.',
    safeAlternative: `-- 1. deploy readers that handle NULL in the column (or keep writing a sentinel value instead)
-- 2. then allow NULLs
ALTER TABLE users ALTER COLUMN middle_name DROP NOT NULL;
-- or keep the guarantee and give new rows a value
ALTER TABLE users ALTER COLUMN middle_name SET DEFAULT '';`,
    whenFine:
      'Every reader already handles NULL, or this is the first step of removing a column the application no longer writes. Tables created and columns added earlier in the same migration are not reported.',
  },
  examples: {
    bad: [
      'ALTER TABLE users ALTER COLUMN middle_name DROP NOT NULL;',
      {
        sql: 'ALTER TABLE orders ALTER COLUMN shipped_at DROP NOT NULL, ALTER COLUMN carrier DROP NOT NULL;',
        before:
          'CREATE TABLE orders (id bigint PRIMARY KEY, shipped_at timestamptz NOT NULL, carrier text NOT NULL);',
      },
    ],
    good: [
      'CREATE TABLE invites (id bigint PRIMARY KEY, accepted_at timestamptz NOT NULL);\nALTER TABLE invites ALTER COLUMN accepted_at DROP NOT NULL;',
      "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';\nALTER TABLE users ALTER COLUMN locale DROP NOT NULL;",
      "ALTER TABLE users ALTER COLUMN middle_name SET DEFAULT '';",
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'AlterTableStmt' || ctx.deferred) return;
    const added = addedColumns(ctx);
    const table = rangeVarName(stmt.node.relation);
    const exempt = ctx.isNew(table) || ctx.table(table)?.persistence === 'temporary';
    for (const effect of ctx.effects) {
      if (effect.shape !== 'drop-not-null' || exempt) continue;
      const column = effect.detail.column ?? 'the column';
      const key = columnKey(ctx, table, column);
      if (key && added.has(key)) continue;
      ctx.report({
        message: `Dropping NOT NULL on ${relationName(effect, 'table', ctx.schema)}.${column} lets NULLs in: deployed code that assumes the column always has a value can fail or miscount on new rows (the statement takes an ${ctx.describeLocks(effect)}, briefly)`,
        location: effect.location,
        help: 'Make every reader handle NULL before dropping the constraint, or keep NOT NULL and give new rows a default or sentinel value.',
      });
    }
    recordAddedColumns(ctx);
  },
});
