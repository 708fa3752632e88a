import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'adding-field-with-default',
  title: 'Adding a column whose default rewrites the table',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['add-column-default-volatile', 'add-column-generated-stored', 'add-column-default-constant'],
  docs: {
    problem:
      "A column with a volatile default (clock_timestamp(), gen_random_uuid(), random(), a user function…) or a STORED generated column needs a value computed for every existing row: PostgreSQL rewrites the table and all its indexes while holding ACCESS EXCLUSIVE, so every read and write waits. Before PostgreSQL 11 any non-NULL default did this. A constant or stable default (0, '', now()) is stored once in the catalog since PostgreSQL 11 and is fine.",
    safeAlternative: `-- add the column without a default, then set the default for new rows
ALTER TABLE users ADD COLUMN token uuid;
ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();
-- backfill existing rows in small batches, outside the migration's transaction
UPDATE users SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 10000 AND token IS NULL;`,
    whenFine:
      'The table was created earlier in the same migration, or is tiny. On PostgreSQL 11 and later, constant and stable defaults (numbers, strings, now(), CURRENT_TIMESTAMP) are always fine.',
  },
  examples: {
    bad: [
      'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
      'ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (amount * 100) STORED;',
      { sql: 'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;', pgVersion: 10 },
    ],
    good: [
      'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;',
      'ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();',
      'CREATE TABLE sessions (id bigint PRIMARY KEY);\nALTER TABLE sessions ADD COLUMN token uuid DEFAULT gen_random_uuid();',
    ],
  },
  check(ctx) {
    for (const effect of ctx.effects) {
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) continue;
      const column = effect.detail.column ?? 'the column';
      if (effect.shape === 'add-column-default-volatile') {
        const why = effect.detail.defaultUnknown
          ? `its default calls ${effect.detail.volatileFunction}(), which pgwarden cannot prove is not volatile`
          : `its default calls ${effect.detail.volatileFunction}(), which is volatile`;
        ctx.report({
          message: `Adding column "${column}" rewrites the table and its indexes because ${why}; it holds an ${ctx.describeLocks(effect)} meanwhile`,
          location: effect.location,
          help: 'Add the column without a default, SET DEFAULT separately, and backfill existing rows in batches.',
        });
      } else if (effect.shape === 'add-column-generated-stored') {
        ctx.report({
          message: `Adding the STORED generated column "${column}" rewrites the table and its indexes, holding an ${ctx.describeLocks(effect)}`,
          location: effect.location,
          help: 'Add a plain nullable column, fill it with a trigger for new rows and a batched backfill for old ones (on PostgreSQL 18, a VIRTUAL generated column needs no rewrite).',
        });
      } else if (effect.shape === 'add-column-default-constant' && effect.facts.rewrites.length > 0) {
        ctx.report({
          message: `Adding column "${column}" with a default rewrites the table on PostgreSQL ${ctx.pgMajor} (${effect.facts.versionNote}), holding an ${ctx.describeLocks(effect)}`,
          location: effect.location,
          help: 'Add the column without a default, SET DEFAULT separately and backfill in batches, or upgrade to PostgreSQL 11+.',
        });
      }
    }
  },
});
