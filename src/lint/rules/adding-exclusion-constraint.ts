import { aLock, shortName } from '../describe.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'adding-exclusion-constraint',
  title: 'Adding an exclusion constraint to an existing table',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['add-exclusion'],
  docs: {
    problem:
      "ALTER TABLE … ADD CONSTRAINT … EXCLUDE builds the constraint's index over every row, checking each row against the others, while holding an ACCESS EXCLUSIVE lock: every read and write of the table waits until it is done. Unlike CHECK and foreign keys, an exclusion constraint cannot be added NOT VALID, and unlike UNIQUE it cannot be attached to an index built CONCURRENTLY, so there is no online way to add one to a large table.",
    safeAlternative: `-- best: declare it when the table is created (or while it is still empty)
CREATE EXTENSION IF NOT EXISTS btree_gist;  -- for "room_id WITH =" in a gist index
CREATE TABLE bookings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room_id bigint NOT NULL,
  during tstzrange NOT NULL,
  EXCLUDE USING gist (room_id WITH =, during WITH &&)
);

-- existing big table: build a new table with the constraint, copy the rows in batches
-- while the application writes to both, then swap the names in one short transaction
CREATE TABLE reservations_new (LIKE reservations INCLUDING ALL,
  EXCLUDE USING gist (room_id WITH =, during WITH &&));`,
    whenFine:
      'The table was created earlier in the same migration, or is small enough that the lock is acceptable; run it with a lock_timeout in a quiet period then.',
  },
  examples: {
    bad: [
      'ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);',
      "ALTER TABLE shifts ADD EXCLUDE USING gist (worker_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'cancelled');",
    ],
    good: [
      'CREATE TABLE bookings (id bigint PRIMARY KEY, room_id bigint, during tstzrange);\nALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);',
      'CREATE TABLE slots (id bigint PRIMARY KEY, during tstzrange, EXCLUDE USING gist (during WITH &&));',
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    for (const effect of ctx.effects) {
      if (effect.shape !== 'add-exclusion') continue;
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) continue;
      const name = table ? shortName(table, ctx.schema.defaultSchema) : 'the table';
      const what = effect.detail.constraint
        ? `exclusion constraint "${effect.detail.constraint}"`
        : 'an exclusion constraint';
      ctx.report({
        message: `Adding ${what} builds its index over every row of ${name} while holding ${aLock(ctx.describeLocks(effect))}; it cannot be added NOT VALID`,
        location: effect.location,
        help: 'There is no online way to add it to a populated table: declare it when the table is created, or copy the rows into a new table that has it and swap, or accept the lock in a quiet period with a lock_timeout.',
      });
    }
  },
});
