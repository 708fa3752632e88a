import type { Effect } from '../../analysis/effects.js';
import { rangeVarName } from '../../analysis/names.js';
import { factsFor } from '../../locks/lock-table.js';
import { aLock, shortName } from '../describe.js';
import { defineRule, type RuleContext } from '../rule.js';

/** A foreign-key effect built here, for drops the classifier does not see as such. */
function dropForeignKey(
  ctx: RuleContext,
  table: string,
  referenced: string,
  location: number | undefined,
  detail: Effect['detail'],
): Effect {
  return {
    shape: 'drop-foreign-key',
    facts: factsFor('drop-foreign-key', ctx.pgMajor),
    relations: { table: [table], referenced: [referenced] },
    location,
    detail,
  };
}

/**
 * Foreign keys dropped by this ALTER TABLE that the classifier does not report as such:
 * DROP COLUMN of a column with a foreign key (the key goes with it, with the same locks), and
 * DROP CONSTRAINT <PostgreSQL's default name> of a key created without a name (the schema model
 * names unnamed constraints differently, so the classifier does not find it).
 */
function otherDroppedForeignKeys(ctx: RuleContext): Effect[] {
  const { stmt } = ctx;
  if (stmt.kind !== 'AlterTableStmt' || stmt.node.objtype !== 'OBJECT_TABLE') return [];
  const facts = ctx.table(rangeVarName(stmt.node.relation));
  if (!facts) return [];
  const location = stmt.node.relation?.location as number | undefined;
  const foreignKeys = facts.constraints.filter((c) => c.kind === 'foreign-key' && c.references);
  const out: Effect[] = [];
  for (const item of stmt.node.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    if (cmd?.subtype === 'AT_DropColumn') {
      for (const con of foreignKeys.filter((c) => c.columns.includes(cmd.name))) {
        out.push(dropForeignKey(ctx, facts.key, con.references!, location, { column: cmd.name }));
      }
    } else if (cmd?.subtype === 'AT_DropConstraint' && !foreignKeys.some((c) => c.name === cmd.name)) {
      const con = foreignKeys.find((c) => `${facts.name}_${c.columns.join('_')}_fkey` === cmd.name);
      if (con) out.push(dropForeignKey(ctx, facts.key, con.references!, location, { constraint: cmd.name }));
    }
  }
  return out;
}

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
    const effects = [
      ...ctx.effects.filter(
        (e) => e.shape === 'drop-foreign-key' || e.shape === 'drop-table-with-foreign-key',
      ),
      ...otherDroppedForeignKeys(ctx),
    ];
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
