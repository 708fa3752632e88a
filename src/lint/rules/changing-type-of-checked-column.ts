import type { Effect } from '../../analysis/effects.js';
import { aLock, shortName } from '../describe.js';
import { defineRule } from '../rule.js';

/** True when the type change of this column certainly rewrites the table (changing-column-type reports it). */
function certainRewrite(effects: readonly Effect[], column: string | undefined): boolean {
  const change = effects.find(
    (e) =>
      (e.shape === 'alter-column-type-rewrite' || e.shape === 'alter-column-type-coercible') &&
      e.detail.column === column,
  );
  return (
    change?.shape === 'alter-column-type-rewrite' && !change.detail.oldTypeUnknown && !change.detail.unlessUtc
  );
}

export const rule = defineRule({
  id: 'changing-type-of-checked-column',
  title: 'Changing the type of a column with CHECK constraints',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['alter-column-type-checked', 'alter-column-type-coercible'],
  docs: {
    problem:
      'ALTER COLUMN … TYPE rebuilds the CHECK constraints that use the column and checks them again against every row, while holding an ACCESS EXCLUSIVE lock: every read and write of the table waits for the whole scan. This happens even when the type change itself is binary-coercible and needs no rewrite (varchar(50) → varchar(100), varchar → text), which is exactly the change people expect to be instant. CHECK constraints that are still NOT VALID are not re-checked.',
    safeAlternative: `-- one statement: drop the CHECK, change the type, re-add the CHECK NOT VALID (no scan)
ALTER TABLE users
  DROP CONSTRAINT users_name_not_blank,
  ALTER COLUMN name TYPE varchar(200),
  ADD CONSTRAINT users_name_not_blank CHECK (length(trim(name)) > 0) NOT VALID;

-- later migration: check the existing rows without blocking reads or writes
ALTER TABLE users VALIDATE CONSTRAINT users_name_not_blank;`,
    whenFine:
      'The table was created earlier in the same migration, or is tiny. When the type change rewrites the table anyway, the constraints are checked during that rewrite and changing-column-type reports the statement instead.',
  },
  examples: {
    bad: [
      {
        sql: 'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);',
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100));\nALTER TABLE users ADD CONSTRAINT users_name_not_blank CHECK (length(trim(name)) > 0);',
      },
      {
        sql: 'ALTER TABLE products ALTER COLUMN sku TYPE text;',
        before: "CREATE TABLE products (id bigint PRIMARY KEY, sku varchar(32) CHECK (sku <> ''));",
      },
    ],
    good: [
      {
        sql: 'ALTER TABLE users\n  DROP CONSTRAINT users_name_not_blank,\n  ALTER COLUMN name TYPE varchar(200),\n  ADD CONSTRAINT users_name_not_blank CHECK (length(trim(name)) > 0) NOT VALID;',
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100));\nALTER TABLE users ADD CONSTRAINT users_name_not_blank CHECK (length(trim(name)) > 0);',
      },
      {
        sql: 'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);',
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100));\nALTER TABLE users ADD CONSTRAINT users_name_not_blank CHECK (length(trim(name)) > 0) NOT VALID;',
      },
      "CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(100) CHECK (body <> ''));\nALTER TABLE notes ALTER COLUMN body TYPE text;",
      {
        sql: 'ALTER TABLE users ALTER COLUMN email TYPE text;',
        before:
          "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100) CHECK (name <> ''), email varchar(100));",
      },
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    for (const effect of ctx.effects) {
      if (effect.shape !== 'alter-column-type-checked') continue;
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) continue;
      const column = effect.detail.column;
      if (certainRewrite(ctx.effects, column)) continue;
      // the classifier keeps only validated CHECKs the same statement does not drop
      const checks = (effect.detail.constraint ?? '').split(', ').filter(Boolean);
      const names = checks.map((c) => `"${c}"`).join(', ');
      const tableName = table ? shortName(table, ctx.schema.defaultSchema) : 'the table';
      const plural = checks.length > 1;
      ctx.report({
        message: `Changing the type of "${column}" checks CHECK constraint${plural ? 's' : ''} ${names} again against every row of ${tableName}, even if the type change itself needs no rewrite, while holding ${aLock(ctx.describeLocks(effect))}`,
        location: effect.location,
        help: `In the same ALTER TABLE, drop ${plural ? 'them' : 'it'}, change the type and add ${plural ? 'them' : 'it'} back NOT VALID; VALIDATE CONSTRAINT in a later migration checks the rows without blocking reads or writes.`,
      });
    }
  },
});
