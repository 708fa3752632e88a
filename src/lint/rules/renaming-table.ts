import { rangeVarName, sqlName } from '../../analysis/names.js';
import { quoteIdentIfNeeded } from '../../sql/quote.js';
import type { Statement } from '../../sql/statement.js';
import { relationName } from '../describe.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'renaming-table',
  title: 'Renaming a table',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: ['rename-table'],
  docs: {
    problem:
      'ALTER TABLE … RENAME TO changes the name at once, but the application code that is running during and after the deploy still uses the old name: its queries fail with "relation does not exist" until every instance runs the new code. The rename itself is quick (a brief ACCESS EXCLUSIVE lock).',
    safeAlternative: `-- rename, and keep the old name working as a view in the same transaction
ALTER TABLE customers RENAME TO accounts;
CREATE VIEW customers AS SELECT * FROM accounts;
-- a simple view like this is automatically updatable: old code can still INSERT, UPDATE and DELETE
-- (SELECT * is expanded now: columns added to accounts later do not appear in the view)
-- once every instance runs code that uses "accounts", in a later migration:
DROP VIEW customers;`,
    whenFine:
      'A view with the old name is created in the same migration (not reported), no running code uses the old name, or the table was created earlier in the same migration (not reported).',
  },
  examples: {
    bad: [
      'ALTER TABLE customers RENAME TO accounts;',
      {
        sql: 'ALTER TABLE billing.invoice RENAME TO invoices;',
        before: 'CREATE SCHEMA billing;\nCREATE TABLE billing.invoice (id bigint PRIMARY KEY, total bigint);',
      },
    ],
    good: [
      'ALTER TABLE customers RENAME TO accounts;\nCREATE VIEW customers AS SELECT * FROM accounts;',
      'CREATE TABLE report_tmp (id bigint, total bigint);\nALTER TABLE report_tmp RENAME TO report_2026;',
      'ALTER TABLE customers RENAME COLUMN name TO full_name;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'RenameStmt' || stmt.node.renameType !== 'OBJECT_TABLE' || ctx.deferred) return;
    const table = rangeVarName(stmt.node.relation);
    if (!table || ctx.isNew(table) || ctx.table(table)?.persistence === 'temporary') return;
    const schema = ctx.table(table)?.schema ?? table.schema ?? ctx.schema.defaultSchema;
    if (viewKeepsOldName(ctx.statements, stmt.index, schema, table.name, ctx.schema.defaultSchema)) return;
    const effect = ctx.effects.find((e) => e.shape === 'rename-table');
    const name = effect ? relationName(effect, 'table', ctx.schema) : table.name;
    const locks = effect ? ` (it takes an ${ctx.describeLocks(effect)}, briefly)` : '';
    ctx.report({
      message: `Renaming table ${name} to ${quoteIdentIfNeeded(stmt.node.newname)} breaks deployed code that still uses the old name: its queries fail until every instance runs the new code${locks}`,
      location: stmt.node.relation?.location,
      help: `Create a view with the old name in the same migration (CREATE VIEW ${sqlName(table)} AS SELECT * FROM ${sqlName({ schema: table.schema, name: stmt.node.newname })}) and drop it once no code uses the old name.`,
    });
  },
});

/** A later statement of the file creates a view with the table's old name, in the table's schema. */
function viewKeepsOldName(
  statements: readonly Statement[],
  after: number,
  schema: string,
  name: string,
  defaultSchema: string,
): boolean {
  return statements.some((s) => {
    if (s.index <= after || s.kind !== 'ViewStmt' || s.origin === 'function-body') return false;
    const view = rangeVarName(s.node.view);
    return view?.name === name && (view.schema ?? defaultSchema) === schema;
  });
}
