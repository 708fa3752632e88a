import { rangeVarName } from '../../analysis/names.js';
import { shortName } from '../describe.js';
import { addedColumns, columnKey } from '../file-columns.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'ban-drop-column',
  title: 'Dropping a column',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: ['drop-column'],
  docs: {
    problem:
      'ALTER TABLE … DROP COLUMN removes the column at once: application code that is still deployed and names the column (in a SELECT list, an INSERT, an UPDATE, or an ORM model that lists every column) fails with "column does not exist" from the moment the migration commits, and the data in the column is gone. The statement itself is quick: it takes an ACCESS EXCLUSIVE lock only long enough to mark the column dropped.',
    safeAlternative: `-- 1. deploy application code that no longer reads or writes the column
--    (tell the ORM to ignore it, e.g. Rails ignored_columns, so SELECT lists stop naming it);
--    if the column is NOT NULL without a default, let new rows omit it first:
ALTER TABLE users ALTER COLUMN legacy_code DROP NOT NULL;
-- 2. keep the data if it may be needed again
CREATE TABLE archive.users_legacy_code AS SELECT id, legacy_code FROM users;
-- 3. in a later migration, once no running code uses the column:
ALTER TABLE users DROP COLUMN legacy_code;`,
    whenFine:
      'The contract step of an expand/contract change: no deployed code uses the column any more and its data is not needed (or was copied). Columns added earlier in the same migration, and tables created in it, are not reported.',
  },
  examples: {
    bad: [
      'ALTER TABLE users DROP COLUMN legacy_code;',
      'ALTER TABLE orders DROP COLUMN IF EXISTS coupon_code, DROP COLUMN discount_cents;',
      {
        sql: 'ALTER TABLE users DROP COLUMN nickname;',
        before: 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text);',
      },
    ],
    good: [
      'CREATE TABLE import_rows (id bigint, raw text, parsed jsonb);\nALTER TABLE import_rows DROP COLUMN raw;',
      'ALTER TABLE users ADD COLUMN tmp_email text;\nUPDATE users SET tmp_email = lower(email);\nALTER TABLE users DROP COLUMN tmp_email;',
      'ALTER TABLE users ALTER COLUMN legacy_code DROP DEFAULT;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'AlterTableStmt' || ctx.deferred) return;
    if (stmt.node.objtype !== 'OBJECT_TABLE') return;
    const table = rangeVarName(stmt.node.relation);
    const facts = ctx.table(table);
    const exempt = ctx.isNew(table) || facts?.persistence === 'temporary';
    const added = addedColumns(ctx);
    const effects = ctx.effects.filter((e) => e.shape === 'drop-column');
    let dropIndex = 0;
    for (const item of stmt.node.cmds ?? []) {
      const cmd = item.AlterTableCmd;
      if (cmd?.subtype === 'AT_AddColumn') {
        const key = columnKey(ctx, table, cmd.def?.ColumnDef?.colname);
        if (key) added.add(key);
        continue;
      }
      if (cmd?.subtype !== 'AT_DropColumn') continue;
      const effect = effects[dropIndex++];
      const column = cmd.name as string;
      const key = columnKey(ctx, table, column);
      if (exempt || (key && added.has(key))) continue;
      const name = facts ? shortName(facts.key, ctx.schema.defaultSchema) : (table?.name ?? 'the table');
      const locks = effect ? ` It takes an ${ctx.describeLocks(effect)}, briefly.` : '';
      ctx.report({
        message: `Dropping column "${column}" of ${name} breaks application code that still reads or writes it, and its data is gone.${locks}`,
        location: stmt.node.relation?.location,
        help: 'Deploy code that no longer uses the column first (ORM: mark it ignored), copy the data if it may be needed, then drop it in a later migration.',
      });
    }
  },
});
