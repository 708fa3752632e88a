import { aLock, shortName } from '../describe.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'drop-foreign-key-locks-referenced-table',
  title: 'Dropping a foreign key locks the referenced table',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: ['drop-foreign-key', 'drop-table-with-foreign-key'],
  docs: {
    problem:
      'Dropping a foreign key — with ALTER TABLE … DROP CONSTRAINT, by dropping its column, or by dropping the whole table — removes the triggers PostgreSQL keeps on the referenced table, and that takes an ACCESS EXCLUSIVE lock on the referenced table too, not just on the table being changed. The referenced table is usually a hot one (users, accounts): the statement waits for every running query on it, every new query queues behind it, and the lock is held until the transaction commits. pgwarden can only see foreign keys it knows about: ones created in the linted migrations, or in the live schema with --database-url.',
    safeAlternative: `-- a migration of its own, so the referenced table's lock is held only for an instant,
-- failing fast instead of queueing behind long queries (pgwarden migrate does both)
SET lock_timeout = '2s';
ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;

-- dropping a table: drop its foreign keys first, each in its own short migration, then the table
DROP TABLE orders;`,
    whenFine:
      'The referenced table was created in the same migration, or is not busy. With a short lock_timeout and retries (as pgwarden migrate does) and nothing else in the transaction, the lock is brief.',
  },
  examples: {
    bad: [
      {
        sql: 'ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;',
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint CONSTRAINT orders_user_id_fkey REFERENCES users (id));',
      },
      {
        sql: 'DROP TABLE orders;',
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));',
      },
      {
        sql: 'ALTER TABLE orders DROP COLUMN user_id;',
        before:
          'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));',
      },
    ],
    good: [
      {
        sql: 'ALTER TABLE orders DROP CONSTRAINT orders_amount_positive;',
        before:
          'CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric);\nALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);',
      },
      'CREATE TABLE teams (id bigint PRIMARY KEY);\nCREATE TABLE members (id bigint PRIMARY KEY, team_id bigint CONSTRAINT members_team_id_fkey REFERENCES teams (id));\nALTER TABLE members DROP CONSTRAINT members_team_id_fkey;',
      {
        sql: 'DROP TABLE categories;',
        before:
          'CREATE TABLE categories (id bigint PRIMARY KEY, parent_id bigint REFERENCES categories (id));',
      },
    ],
  },
  kinds: ['AlterTableStmt', 'DropStmt'],
  check(ctx) {
    const effects = ctx.effects.filter(
      (e) => e.shape === 'drop-foreign-key' || e.shape === 'drop-table-with-foreign-key',
    );
    for (const effect of effects) {
      const table = effect.relations.table?.[0];
      const referenced = [...new Set(effect.relations.referenced ?? [])].filter(
        (key) => key !== table && !ctx.isNew(key),
      );
      if (referenced.length === 0) continue;
      const schema = ctx.schema.defaultSchema;
      const names = referenced.map((k) => shortName(k, schema)).join(', ');
      const tableName = table ? shortName(table, schema) : 'the table';
      const keys = referenced.length > 1 ? 'foreign keys' : 'foreign key';
      const what =
        effect.shape === 'drop-table-with-foreign-key'
          ? `Dropping ${tableName} also drops its ${keys} to ${names}, which locks ${names} too`
          : effect.detail.column
            ? `Dropping column "${effect.detail.column}" also drops its foreign key to ${names}, which locks ${names} too`
            : `Dropping foreign key "${effect.detail.constraint}" of ${tableName} locks the referenced table ${names} too`;
      const hot = { ...effect, relations: { ...effect.relations, referenced } };
      ctx.report({
        message: `${what}, until the transaction commits: ${aLock(ctx.describeLocks(hot))}`,
        location: effect.location,
        help: ctx.tx.lockTimeout
          ? `Keep it in a migration of its own so the lock on ${names} is released at once; lock_timeout makes it give up instead of queueing ${names}'s queries.`
          : `Set a short lock_timeout and keep it in a migration of its own, so the lock on ${names} is brief and the statement gives up instead of queueing ${names}'s queries.`,
      });
    }
  },
});
