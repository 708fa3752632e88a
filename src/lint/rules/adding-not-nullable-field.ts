import { quoteIdentIfNeeded } from '../../sql/quote.js';
import { aLock } from '../describe.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'adding-not-nullable-field',
  title: 'Setting NOT NULL on an existing column scans the table',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['set-not-null', 'set-not-null-with-check'],
  docs: {
    problem:
      'ALTER COLUMN … SET NOT NULL (and, on PostgreSQL 18, ADD CONSTRAINT … NOT NULL) reads every row to prove the column holds no NULL, while holding an ACCESS EXCLUSIVE lock: every read and write of the table waits for the whole scan. Since PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL) constraint already proves it, and such a CHECK can be added NOT VALID and validated without blocking anyone. Before PostgreSQL 12 the CHECK is not used and SET NOT NULL always scans.',
    safeAlternative: `-- migration 1: new and updated rows must have an email; nothing is scanned
ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;

-- migration 2: check the existing rows without blocking reads or writes
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;

-- migration 3: PostgreSQL 12+ uses the validated CHECK and skips the scan
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_not_null;`,
    whenFine:
      'The table was created earlier in the same migration, or is tiny; the column is already NOT NULL; or (PostgreSQL 12+) a validated CHECK (col IS NOT NULL) exists, which pgwarden sees when the CHECK was added in the linted migrations or when it reads the live schema. On PostgreSQL 18, ADD CONSTRAINT … NOT NULL … NOT VALID scans nothing either.',
  },
  examples: {
    bad: [
      'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      {
        sql: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
        pgVersion: 11,
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY, email text);\nALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL);',
      },
      { sql: 'ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email;', pgVersion: 18 },
    ],
    good: [
      {
        sql: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;',
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY, email text);\nALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;',
      },
      'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      {
        sql: 'ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID;',
        pgVersion: 18,
      },
      {
        sql: 'ALTER TABLE users ALTER COLUMN id SET NOT NULL;',
        before: 'CREATE TABLE users (id bigint NOT NULL, email text);',
      },
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    for (const effect of ctx.effects) {
      const scans = effect.facts.scans.length > 0;
      if ((effect.shape !== 'set-not-null' && effect.shape !== 'set-not-null-with-check') || !scans) continue;
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) continue;
      const column = effect.detail.column ?? 'the column';
      // already NOT NULL: PostgreSQL does nothing
      if (ctx.table(table)?.columns.get(column)?.notNull) continue;
      const locks = aLock(ctx.describeLocks(effect));
      if (effect.shape === 'set-not-null-with-check') {
        ctx.report({
          message: `Making "${column}" NOT NULL reads every row while holding ${locks}: PostgreSQL ${ctx.pgMajor} ignores the validated CHECK "${effect.detail.constraint}" (only PostgreSQL 12+ uses it to skip the scan)`,
          location: effect.location,
          help: 'On this version there is no scan-free SET NOT NULL: keep the validated CHECK as the guarantee and leave the column nullable, or run this in a quiet period.',
        });
        continue;
      }
      ctx.report({
        message: `Making "${column}" NOT NULL reads every row to prove there is no NULL, while holding ${locks}`,
        location: effect.location,
        help:
          ctx.pgMajor >= 12
            ? `Add CHECK (${quoteIdentIfNeeded(column)} IS NOT NULL) NOT VALID, VALIDATE it in a later migration (reads and writes go on), then SET NOT NULL skips the scan; drop the CHECK afterwards.`
            : `Before PostgreSQL 12 SET NOT NULL always scans: use a CHECK (${quoteIdentIfNeeded(column)} IS NOT NULL) added NOT VALID and validated later as the guarantee instead, or run this in a quiet period.`,
      });
    }
  },
});
