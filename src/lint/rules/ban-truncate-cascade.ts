import { shortName } from '../describe.js';
import { defineRule, type RuleContext } from '../rule.js';

export const rule = defineRule({
  id: 'ban-truncate-cascade',
  title: 'TRUNCATE … CASCADE',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: ['truncate-cascade', 'truncate'],
  docs: {
    problem:
      'TRUNCATE … CASCADE also empties every table that has a foreign key to the named tables, and every table referencing those in turn, however many rows they hold: truncating a lookup table can wipe orders, invoices and their line items. Which tables go depends on the foreign keys in production at deploy time, not on what the author had in mind. Each of them is rewritten empty under an ACCESS EXCLUSIVE lock, blocking all its reads and writes until the transaction ends.',
    safeAlternative: `-- name every table you mean to empty; without CASCADE, PostgreSQL refuses
-- (instead of emptying it) when another table still references one of them
TRUNCATE import_batches, import_rows;`,
    whenFine:
      'Every table it would reach was created earlier in the same migration, or you have checked the foreign keys and really want all referencing tables emptied — then list them explicitly, so the migration says so.',
  },
  examples: {
    bad: [
      'TRUNCATE plans CASCADE;',
      {
        sql: 'TRUNCATE customers CASCADE;',
        before:
          'CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));\nCREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));',
      },
    ],
    good: [
      'TRUNCATE import_batches, import_rows;',
      'CREATE TABLE import_batches (id bigint PRIMARY KEY);\nCREATE TABLE import_rows (id bigint, batch_id bigint REFERENCES import_batches (id));\nTRUNCATE import_batches CASCADE;',
    ],
  },
  check(ctx) {
    const effects = ctx.effects.filter((e) => e.shape === 'truncate-cascade');
    if (effects.length === 0) return;
    const named = new Set(effects.map((e) => e.relations.table?.[0]).filter((k): k is string => !!k));
    const reached = cascade(ctx, named);
    // nothing that exists outside this migration can be emptied
    if ([...named, ...reached].every((key) => ctx.isNew(key))) return;
    const name = (key: string) => shortName(key, ctx.schema.defaultSchema);
    const list = [...named].map(name).join(', ');
    const known = [...reached].map(name);
    const shown =
      known.length > 8 ? `${known.slice(0, 8).join(', ')} and ${known.length - 8} more` : known.join(', ');
    const message =
      known.length > 0
        ? `TRUNCATE … CASCADE empties ${list} and every table that references ${named.size > 1 ? 'them' : 'it'} by foreign key, directly or not: ${shown}${ctx.schema.live ? '' : ' (and any other referencing table pgwarden does not know of)'}, each under an ACCESS EXCLUSIVE lock`
        : ctx.schema.live
          ? `TRUNCATE … CASCADE empties ${list} and every table that references ${named.size > 1 ? 'them' : 'it'} by foreign key when it runs; none does in the database pgwarden read, but one added before the deploy would be emptied too`
          : `TRUNCATE … CASCADE empties ${list} and every table that references ${named.size > 1 ? 'them' : 'it'} by foreign key, directly or not, whatever they hold; pgwarden does not know which (lint with --database-url to see them)`;
    ctx.report({
      message,
      location: effects[0]!.location,
      help: 'Drop CASCADE and list every table you mean to empty (TRUNCATE a, b, …): PostgreSQL then refuses, instead of emptying it, when another table still references them.',
      ...(known.length === 0 && ctx.schema.live ? { level: 'warning' as const } : {}),
    });
  },
});

/** Tables a TRUNCATE … CASCADE of `named` also empties: foreign keys followed transitively. */
function cascade(ctx: RuleContext, named: Set<string>): Set<string> {
  const reached = new Set<string>();
  const queue = [...named];
  while (queue.length > 0) {
    const key = queue.shift()!;
    for (const table of ctx.schema.referencing(key)) {
      if (named.has(table.key) || reached.has(table.key)) continue;
      reached.add(table.key);
      queue.push(table.key);
    }
  }
  return reached;
}
