import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'changing-column-type',
  title: 'Changing a column type that rewrites the table',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['alter-column-type-rewrite', 'alter-column-type-coercible', 'alter-column-type-timestamptz-utc'],
  docs: {
    problem:
      'ALTER COLUMN … TYPE holds ACCESS EXCLUSIVE, and unless the new type is binary-coercible with the old one, PostgreSQL converts every row: the table and all its indexes are rewritten while every read and write waits (int → bigint on a large table takes many minutes). Binary-coercible changes only touch the catalog: varchar(n) → varchar(m) with m ≥ n, varchar → text, numeric(p,s) → numeric(q,s) with q ≥ p, raising or removing a timestamp precision, cidr → inet; timestamp ↔ timestamptz too when the session TimeZone is UTC (PostgreSQL 12+).',
    safeAlternative: `-- expand and contract (pgwarden fix writes it): a column of the new type, set by a trigger
ALTER TABLE orders ADD COLUMN quantity_new bigint;
-- a BEFORE INSERT OR UPDATE trigger sets quantity_new from quantity; backfill the existing rows
-- in batches; then swap in one short transaction:
-- ALTER TABLE orders DROP COLUMN quantity; ALTER TABLE orders RENAME COLUMN quantity_new TO quantity;`,
    whenFine:
      'The change is binary-coercible (pgwarden does not report those when it knows the old type), the table was created in the same migration, or the table is tiny.',
  },
  examples: {
    bad: [
      {
        sql: 'ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;',
        before: 'CREATE TABLE orders (id bigint PRIMARY KEY, quantity int NOT NULL);',
      },
      {
        sql: 'ALTER TABLE users ALTER COLUMN name TYPE varchar(50);',
        before: 'CREATE TABLE users (id bigint, name varchar(100));',
      },
      {
        sql: 'ALTER TABLE users ALTER COLUMN bio TYPE varchar(500);',
        before: 'CREATE TABLE users (id bigint, bio text);',
      },
    ],
    good: [
      {
        sql: 'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);',
        before: 'CREATE TABLE users (id bigint, name varchar(100));',
      },
      {
        sql: 'ALTER TABLE users ALTER COLUMN name TYPE text;',
        before: 'CREATE TABLE users (id bigint, name varchar(100));',
      },
      {
        sql: 'ALTER TABLE prices ALTER COLUMN amount TYPE numeric(14,2);',
        before: 'CREATE TABLE prices (amount numeric(10,2));',
      },
      'CREATE TABLE t (id int);\nALTER TABLE t ALTER COLUMN id TYPE bigint;',
    ],
  },
  check(ctx) {
    for (const effect of ctx.effects) {
      if (effect.shape !== 'alter-column-type-rewrite') continue;
      if (ctx.isNew(effect.relations.table?.[0])) continue;
      const d = effect.detail;
      const change = d.fromType ? `${d.fromType} → ${d.toType}` : `→ ${d.toType}`;
      if (d.oldTypeUnknown) {
        ctx.report({
          message: d.mayBeCoercible
            ? `Changing column "${d.column}" to ${d.toType} may rewrite the table and its indexes under an ${ctx.describeLocks(effect)}; whether it does depends on the old type, which is unknown here`
            : `Changing column "${d.column}" to ${d.toType} rewrites the table and its indexes (unless it already has that type), holding an ${ctx.describeLocks(effect)} meanwhile`,
          location: effect.location,
          help: 'Lint with --database-url (or together with the migration that created the table) so pgwarden knows the old type. If it rewrites, add a new column, backfill it in batches and switch over.',
          ...(d.mayBeCoercible ? { level: 'warning' as const } : {}),
        });
        continue;
      }
      ctx.report({
        message: d.unlessUtc
          ? `Changing column "${d.column}" (${change}) rewrites the table and its indexes unless the session TimeZone is UTC, holding an ${ctx.describeLocks(effect)} meanwhile`
          : `Changing column "${d.column}" (${change}) rewrites the table and its indexes: ${d.typeChangeReason}; it holds an ${ctx.describeLocks(effect)} meanwhile`,
        location: effect.location,
        help: d.unlessUtc
          ? "Run SET LOCAL TimeZone = 'UTC' before the change (PostgreSQL 12+ then skips the rewrite), or use a new column and a batched backfill."
          : 'Add a new column of the new type, backfill it in batches, switch the application to it, then drop the old one.',
      });
    }
  },
});
