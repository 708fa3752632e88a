import { shortName } from '../describe.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'ban-drop-table',
  title: 'Dropping a table',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: ['drop-table', 'drop-table-with-foreign-key'],
  docs: {
    problem:
      'DROP TABLE deletes the table and all its rows for good. Application code that is still deployed and uses the table fails with "relation does not exist" from the moment the migration commits, and the only way back is a restore. With CASCADE it also drops the views and foreign keys that depend on it. The statement takes ACCESS EXCLUSIVE on the table (and on every table its foreign keys point to), so it also waits for, and then blocks, every query on them.',
    safeAlternative: `-- 1. deploy application code that no longer uses the table
-- 2. rename it first: forgotten users fail loudly, and the rename is undone in a second
ALTER TABLE legacy_events RENAME TO legacy_events_retired;
-- 3. in a later migration, after a verified backup (pgwarden backup create):
DROP TABLE legacy_events_retired;`,
    whenFine:
      'The contract step of a removal: no deployed code uses the table and its data is backed up or not needed. Tables created earlier in the same migration (staging or temporary tables) are not reported.',
  },
  examples: {
    bad: [
      'DROP TABLE legacy_events;',
      'DROP TABLE IF EXISTS audit_log, audit_log_archive CASCADE;',
      {
        sql: 'DROP TABLE order_notes;',
        before:
          'CREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE TABLE order_notes (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id), body text);',
      },
    ],
    good: [
      'CREATE TABLE users_import (email text, name text);\nINSERT INTO users (email, name) SELECT email, name FROM users_import;\nDROP TABLE users_import;',
      'CREATE TEMP TABLE ids AS SELECT id FROM users WHERE deleted_at IS NOT NULL;\nDELETE FROM sessions WHERE user_id IN (SELECT id FROM ids);\nDROP TABLE ids;',
      'DROP VIEW IF EXISTS active_users;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'DropStmt' || stmt.node.removeType !== 'OBJECT_TABLE' || ctx.deferred) return;
    const cascade = stmt.node.behavior === 'DROP_CASCADE';
    for (const effect of ctx.effects) {
      if (effect.shape !== 'drop-table' && effect.shape !== 'drop-table-with-foreign-key') continue;
      const key = effect.relations.table?.[0];
      if (!key || ctx.isNew(key) || ctx.table(key)?.persistence === 'temporary') continue;
      const name = shortName(key, ctx.schema.defaultSchema);
      ctx.report({
        message: `Dropping table ${name} deletes all its rows for good and breaks deployed code that still uses it${cascade ? '; CASCADE also drops the views and foreign keys that depend on it' : ''} (it takes an ${ctx.describeLocks(effect)})`,
        location: effect.location,
        help: 'Deploy code that no longer uses the table first and back it up; renaming it in one migration and dropping it in a later one makes forgotten users visible while the data still exists.',
      });
    }
  },
});
