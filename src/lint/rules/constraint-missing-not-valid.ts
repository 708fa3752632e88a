import type { Effect } from '../../analysis/effects.js';
import { aLock } from '../describe.js';
import { appendToStatement } from '../fix.js';
import { defineRule, type RuleContext } from '../rule.js';

const NOT_VALID_ADDS = new Set(['add-check-not-valid', 'add-foreign-key-not-valid']);

/** The NOT VALID add of this constraint earlier in the current transaction (or statement). */
function addedInTransaction(ctx: RuleContext, validate: Effect, earlier: Effect[]): Effect | undefined {
  const table = validate.relations.table?.[0];
  const name = validate.detail.constraint;
  if (!table || !name) return undefined;
  const matches = (e: Effect) =>
    NOT_VALID_ADDS.has(e.shape) && e.relations.table?.[0] === table && e.detail.constraint === name;
  const here = earlier.find(matches);
  if (here) return here;
  for (let i = ctx.tx.history.length - 1; i >= 0; i--) {
    const found = ctx.tx.history[i]!.effects.find(matches);
    if (found) return found;
  }
  return undefined;
}

export const rule = defineRule({
  id: 'constraint-missing-not-valid',
  title: 'Adding a CHECK constraint without NOT VALID',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['add-check', 'add-column-check', 'add-check-not-valid', 'validate-check'],
  docs: {
    problem:
      "ALTER TABLE … ADD CONSTRAINT … CHECK checks every existing row while it holds an ACCESS EXCLUSIVE lock on the table, so every read and write waits for the whole scan; a CHECK written on ADD COLUMN is checked the same way. Adding the constraint NOT VALID takes the lock only for a moment, and VALIDATE CONSTRAINT later checks the old rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on. That only helps if VALIDATE runs in a later transaction: run in the same transaction as the NOT VALID add, it scans while the ADD's lock (ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key) is still held. Foreign keys, UNIQUE, PRIMARY KEY and EXCLUDE constraints have rules of their own.",
    safeAlternative: `-- migration 1: new and updated rows are checked from now on; no scan, the lock is brief
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;

-- migration 2 (a later transaction): check the existing rows without blocking reads or writes
ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;`,
    whenFine:
      'The table was created earlier in the same migration, or is tiny. VALIDATE CONSTRAINT on its own, in a transaction that took no strong lock on the table, is the safe second step and is not reported.',
  },
  examples: {
    bad: [
      'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);',
      'ALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0);',
      'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;',
      {
        sql: 'BEGIN;\nALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;\nCOMMIT;',
        runner: 'psql',
      },
    ],
    good: [
      'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;',
      {
        sql: 'ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;',
        before:
          'CREATE TABLE orders (id bigint, amount numeric);\nALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;',
      },
      {
        sql: 'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;',
        runner: 'psql',
      },
      'CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric);\nALTER TABLE invoices ADD CONSTRAINT invoices_total_positive CHECK (total > 0);',
      'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);',
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    const earlier: Effect[] = [];
    const single = ctx.stmt.kind === 'AlterTableStmt' && (ctx.stmt.node.cmds ?? []).length === 1;
    for (const effect of ctx.effects) {
      const table = effect.relations.table?.[0];
      if (effect.shape === 'add-check' && !ctx.isNew(table)) {
        const name = effect.detail.constraint
          ? `CHECK constraint "${effect.detail.constraint}"`
          : 'a CHECK constraint';
        const fix = single ? appendToStatement(ctx.stmt.text, 'NOT VALID') : undefined;
        ctx.report({
          message: `Adding ${name} checks every row while holding ${aLock(ctx.describeLocks(effect))}`,
          location: effect.location,
          help: `Add it NOT VALID (only new and updated rows are checked; the lock is brief), then run ALTER TABLE … VALIDATE CONSTRAINT ${effect.detail.constraint ?? '…'} in a later migration, which lets reads and writes go on.`,
          ...(fix ? { fix } : {}),
        });
      } else if (effect.shape === 'add-column-check' && !ctx.isNew(table)) {
        ctx.report({
          message: `The CHECK on new column "${effect.detail.column}" is checked against every existing row while holding ${aLock(ctx.describeLocks(effect))}`,
          location: effect.location,
          help: 'Add the column without the CHECK, then ALTER TABLE … ADD CONSTRAINT … CHECK (…) NOT VALID, and VALIDATE CONSTRAINT in a later migration.',
        });
      } else if (
        (effect.shape === 'validate-check' || effect.shape === 'validate-foreign-key') &&
        !ctx.deferred &&
        !ctx.isNew(table)
      ) {
        const add = addedInTransaction(ctx, effect, earlier);
        if (add) {
          ctx.report({
            message: `VALIDATE CONSTRAINT ${effect.detail.constraint} runs in the same transaction that added it NOT VALID, so it checks every row while the lock of the ADD is still held: ${aLock(ctx.describeLocks(add))}`,
            location: effect.location,
            help: ctx.tx.explicit
              ? 'Commit after the NOT VALID add and validate in a separate transaction (better: a later migration); on its own VALIDATE takes only SHARE UPDATE EXCLUSIVE.'
              : 'Move VALIDATE CONSTRAINT to a later migration: on its own it takes only SHARE UPDATE EXCLUSIVE, so reads and writes go on while it scans.',
          });
        }
      }
      earlier.push(effect);
    }
  },
});
