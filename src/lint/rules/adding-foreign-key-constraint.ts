import { aLock, shortName } from '../describe.js';
import { appendToStatement } from '../fix.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'adding-foreign-key-constraint',
  title: 'Adding a foreign key without NOT VALID',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: [
    'add-foreign-key',
    'add-foreign-key-not-valid',
    'validate-foreign-key',
    'add-column-references-default',
  ],
  docs: {
    problem:
      'ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY checks that every existing row has a matching row in the referenced table. During that check it holds SHARE ROW EXCLUSIVE locks on both tables, so every INSERT, UPDATE and DELETE on the table and on the referenced table (often a hot table such as users) waits until both have been read. Added NOT VALID, the constraint applies to new rows at once and nothing is scanned; VALIDATE CONSTRAINT then checks the old rows later while only taking SHARE UPDATE EXCLUSIVE on the table and ROW SHARE on the referenced table, which block neither reads nor writes.',
    safeAlternative: `-- migration 1: new rows are checked from now on; nothing is scanned, the locks are brief
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

-- migration 2 (a later transaction): check the existing rows without blocking writes
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;

-- partitioned table before PostgreSQL 18 (NOT VALID is refused there): per partition first,
-- then the parent's foreign key adopts the validated ones without scanning (that step still
-- locks the referenced table ACCESS EXCLUSIVE for a moment)
ALTER TABLE events_2026 ADD CONSTRAINT events_2026_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE events_2026 VALIDATE CONSTRAINT events_2026_user_id_fkey;  -- later migration
ALTER TABLE events ADD CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);`,
    whenFine:
      'Both tables were created earlier in the same migration, or both are tiny. A foreign key declared in CREATE TABLE, or on a new column without a default (ADD COLUMN … REFERENCES, where every value is NULL), checks no rows and is not reported. With a default — even DEFAULT NULL — the new column is checked row by row: add it without the default, then SET DEFAULT.',
  },
  examples: {
    bad: [
      'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);',
      'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users;',
      {
        sql: 'CREATE TABLE carts (id bigint PRIMARY KEY, user_id bigint);\nALTER TABLE carts ADD CONSTRAINT carts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);',
      },
      'ALTER TABLE orders ADD COLUMN coupon_id bigint DEFAULT NULL REFERENCES coupons (id);',
    ],
    good: [
      'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      {
        sql: 'ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;',
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      },
      'CREATE TABLE teams (id bigint PRIMARY KEY);\nCREATE TABLE members (id bigint PRIMARY KEY, team_id bigint);\nALTER TABLE members ADD CONSTRAINT members_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id);',
      'ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);',
      'CREATE TABLE payments (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));',
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    const single = ctx.stmt.kind === 'AlterTableStmt' && (ctx.stmt.node.cmds ?? []).length === 1;
    for (const effect of ctx.effects) {
      if (effect.shape === 'add-column-references-default') {
        const table = effect.relations.table?.[0];
        if (ctx.isNew(table)) continue;
        const schema = ctx.schema.defaultSchema;
        const tableName = table ? shortName(table, schema) : 'the table';
        const referenced = effect.relations.referenced?.[0];
        const referencedName = referenced ? shortName(referenced, schema) : 'the referenced table';
        ctx.report({
          message: `Adding column "${effect.detail.column}" with a default and REFERENCES ${referencedName} checks every row of ${tableName} against ${referencedName} while holding ${aLock(ctx.describeLocks(effect))} — any default does it, DEFAULT NULL too`,
          location: effect.location,
          help: `Add the column without the default (its rows are all NULL, so nothing is checked); then ALTER TABLE ${tableName} ALTER COLUMN ${effect.detail.column} SET DEFAULT … for new rows, and backfill existing rows in batches where the default is not NULL (each row is checked as it is written).`,
          notFixable: true,
        });
        continue;
      }
      if (effect.shape !== 'add-foreign-key') continue;
      const table = effect.relations.table?.[0];
      const referenced = effect.relations.referenced?.[0];
      const tableNew = ctx.isNew(table);
      const referencedNew =
        referenced === undefined || referenced === table ? tableNew : ctx.isNew(referenced);
      if (tableNew && referencedNew) continue;
      const schema = ctx.schema.defaultSchema;
      const tableName = table ? shortName(table, schema) : 'the table';
      const referencedName = referenced ? shortName(referenced, schema) : 'the referenced table';
      const fkName = effect.detail.constraint ? `foreign key "${effect.detail.constraint}"` : 'a foreign key';
      if (tableNew) {
        // The new table is empty: nothing to check. The referenced table's lock is the same with
        // or without NOT VALID (as for CREATE TABLE … REFERENCES), held until the commit.
        ctx.report({
          message: `Adding ${fkName} to the new table ${tableName} checks no rows, but it takes a SHARE ROW EXCLUSIVE lock on ${referencedName}, blocking its writes until this migration's transaction commits`,
          location: effect.location,
          help: 'NOT VALID would not avoid this lock (CREATE TABLE … REFERENCES takes it too): keep what runs after it in the same transaction short.',
          level: 'warning',
        });
        continue;
      }
      const partitioned = ctx.table(table)?.kind === 'partitioned' && ctx.pgMajor < 18;
      const name = effect.detail.constraint;
      const fix = single && !partitioned ? appendToStatement(ctx.stmt.text, 'NOT VALID') : undefined;
      ctx.report({
        message: `Adding ${fkName} checks every row of ${tableName} against ${referencedName} while holding ${aLock(ctx.describeLocks(effect))}`,
        location: effect.location,
        help: partitioned
          ? `PostgreSQL ${ctx.pgMajor} refuses NOT VALID foreign keys on a partitioned table: add the foreign key NOT VALID to each partition and VALIDATE it there in a later migration; adding it to ${tableName} afterwards reuses them without a scan (that step still takes a brief ACCESS EXCLUSIVE lock on ${referencedName}).`
          : `Add it NOT VALID (new rows are checked at once, nothing is scanned), then run ALTER TABLE ${tableName} VALIDATE CONSTRAINT ${name ?? '…'} in a later migration, which blocks no reads or writes.`,
        ...(fix ? { fix } : {}),
      });
    }
  },
});
