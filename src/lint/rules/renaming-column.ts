import { rangeVarName } from '../../analysis/names.js';
import { quoteIdentIfNeeded } from '../../sql/quote.js';
import { relationName } from '../describe.js';
import { addedColumns, columnKey, recordAddedColumns } from '../file-columns.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'renaming-column',
  title: 'Renaming a column',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: ['rename-column'],
  docs: {
    problem:
      'ALTER TABLE … RENAME COLUMN changes the name at once, but the application code that is running during and after the deploy still uses the old name: its queries fail with "column does not exist" until every instance runs the new code. Between the migration and the end of the rollout there is always such a window. The rename itself is quick (a brief ACCESS EXCLUSIVE lock).',
    safeAlternative: `-- expand: a new column kept in step with the old one while old and new code run side by side
ALTER TABLE users ADD COLUMN full_name text;
CREATE FUNCTION users_sync_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.full_name := coalesce(NEW.full_name, NEW.name);
    NEW.name := coalesce(NEW.name, NEW.full_name);
  ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
    NEW.full_name := NEW.name;
  ELSIF NEW.full_name IS DISTINCT FROM OLD.full_name THEN
    NEW.name := NEW.full_name;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER users_sync_full_name BEFORE INSERT OR UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION users_sync_full_name();
-- backfill in batches: UPDATE users SET full_name = name WHERE id BETWEEN 1 AND 10000;
-- deploy code that uses full_name; contract later: drop the trigger, the function and users.name
-- (or keep the database name and rename only the attribute in the ORM mapping)`,
    whenFine:
      'No running code uses the old name: the application is stopped during the deploy, or only the ORM mapping refers to the column and it is changed in the same release. Tables created and columns added earlier in the same migration are not reported.',
  },
  examples: {
    bad: [
      {
        sql: 'ALTER TABLE users RENAME COLUMN name TO full_name;',
        before: 'CREATE TABLE users (id bigint PRIMARY KEY, name text);',
      },
      {
        sql: 'ALTER TABLE orders RENAME total TO total_cents;',
        before: 'CREATE TABLE orders (id bigint PRIMARY KEY, total bigint NOT NULL);',
      },
    ],
    good: [
      'CREATE TABLE invoices (id bigint PRIMARY KEY, amount bigint);\nALTER TABLE invoices RENAME COLUMN amount TO amount_cents;',
      'ALTER TABLE users ADD COLUMN nick text;\nALTER TABLE users RENAME COLUMN nick TO nickname;',
      'ALTER TABLE users RENAME CONSTRAINT users_email_check TO users_email_format;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind === 'AlterTableStmt') {
      recordAddedColumns(ctx);
      return;
    }
    if (stmt.kind !== 'RenameStmt' || stmt.node.renameType !== 'OBJECT_COLUMN' || ctx.deferred) return;
    const table = rangeVarName(stmt.node.relation);
    if (ctx.isNew(table) || ctx.table(table)?.persistence === 'temporary') return;
    const column = stmt.node.subname as string;
    const key = columnKey(ctx, table, column);
    if (key && addedColumns(ctx).has(key)) return;
    const effect = ctx.effects.find((e) => e.shape === 'rename-column');
    const name = effect ? relationName(effect, 'table', ctx.schema) : (table?.name ?? 'the table');
    const locks = effect ? ` (it takes an ${ctx.describeLocks(effect)}, briefly)` : '';
    ctx.report({
      message: `Renaming column ${name}.${quoteIdentIfNeeded(column)} to ${quoteIdentIfNeeded(stmt.node.newname)} breaks deployed code that still uses the old name: its queries fail until every instance runs the new code${locks}`,
      location: stmt.node.relation?.location,
      help: 'Add a new column kept in step by a trigger, move the code over, then drop the old column; or rename only in the ORM mapping.',
    });
  },
});
