import { modesOn } from '../../locks/lock-table.js';
import { isDisruptive } from '../../locks/modes.js';
import { quoteIdentIfNeeded } from '../../sql/quote.js';
import { aLock, shortName } from '../describe.js';
import { defineRule } from '../rule.js';
import { filledEarlier } from '../statement-facts.js';

export const rule = defineRule({
  id: 'attach-partition-without-check',
  title: 'ATTACH PARTITION without a matching validated CHECK',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['attach-partition', 'attach-partition-with-check'],
  docs: {
    problem:
      'ALTER TABLE … ATTACH PARTITION reads every row of the table being attached to prove it fits the partition bounds, while holding an ACCESS EXCLUSIVE lock on it (and, before PostgreSQL 12, on the partitioned table too, so the whole table is blocked). The scan is skipped when the table already has a validated CHECK constraint that implies the bounds, and such a CHECK can be added NOT VALID and validated without blocking anyone. When the partitioned table has a DEFAULT partition, that partition is scanned too, under ACCESS EXCLUSIVE, unless its own CHECK excludes the new bounds.',
    safeAlternative: `-- migration 1: a CHECK matching the bounds (range keys must also be NOT NULL)
ALTER TABLE events_2026 ADD CONSTRAINT events_2026_bounds
  CHECK (at IS NOT NULL AND at >= '2026-01-01' AND at < '2027-01-01') NOT VALID;

-- migration 2: check the rows without blocking reads or writes
ALTER TABLE events_2026 VALIDATE CONSTRAINT events_2026_bounds;

-- migration 3: the CHECK proves the bounds, so nothing is scanned; then it is redundant
ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE events_2026 DROP CONSTRAINT events_2026_bounds;`,
    whenFine:
      "The table being attached was created earlier in the same migration and is still empty (rows loaded into it in the migration are scanned too, which matters before PostgreSQL 12, when the partitioned table is locked ACCESS EXCLUSIVE meanwhile), is a foreign table, or is tiny. pgwarden treats a validated CHECK on the partition key columns as matching the bounds; it is the CHECK's author who must make sure it implies them, or PostgreSQL scans anyway.",
  },
  examples: {
    bad: [
      "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      {
        sql: "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
        before:
          "CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE events_2026 (id bigint, at timestamptz NOT NULL);\nALTER TABLE events_2026 ADD CONSTRAINT events_2026_bounds CHECK (at >= '2026-01-01' AND at < '2027-01-01') NOT VALID;",
      },
      { sql: "ALTER TABLE orders ATTACH PARTITION orders_eu FOR VALUES IN ('eu');", pgVersion: 11 },
    ],
    good: [
      {
        sql: "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\nALTER TABLE events_2026 DROP CONSTRAINT events_2026_bounds;",
        before:
          "CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE events_2026 (id bigint, at timestamptz NOT NULL);\nALTER TABLE events_2026 ADD CONSTRAINT events_2026_bounds CHECK (at IS NOT NULL AND at >= '2026-01-01' AND at < '2027-01-01') NOT VALID;\nALTER TABLE events_2026 VALIDATE CONSTRAINT events_2026_bounds;",
      },
      "CREATE TABLE events_2027 (LIKE events INCLUDING ALL);\nALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
      "CREATE TABLE events_2028 PARTITION OF events FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');",
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    for (const effect of ctx.effects) {
      if (effect.shape !== 'attach-partition') continue;
      const partition = effect.relations.partition?.[0];
      const parent = effect.relations.parent?.[0];
      // a partition created in this migration is empty, unless rows were loaded into it since;
      // then only a lock on an existing parent can hurt (ACCESS EXCLUSIVE before PostgreSQL 12)
      let onlyParent = false;
      if (ctx.isNew(partition)) {
        const parentBlocks = isDisruptive(modesOn(effect.facts, 'parent')) && !ctx.isNew(parent);
        if (!filledEarlier(ctx, partition) || !parentBlocks) continue;
        onlyParent = true;
      }
      const facts = ctx.table(partition);
      if (facts?.kind === 'foreign') continue; // a foreign table is never scanned
      const schema = ctx.schema.defaultSchema;
      const partitionName = partition ? shortName(partition, schema) : 'the partition';
      const key = ctx.table(parent)?.partitionKey ?? [];
      const keyText =
        key.length > 0
          ? key
              .map((k) => `${quoteIdentIfNeeded(k)} IS NOT NULL AND ${quoteIdentIfNeeded(k)} …`)
              .join(' AND ')
          : '…';
      const locks = onlyParent
        ? ctx.describeLocks({ ...effect, relations: { parent: parent ? [parent] : [] } })
        : ctx.describeLocks(effect);
      ctx.report({
        message: onlyParent
          ? `Attaching ${partitionName} reads the rows loaded into it earlier in this migration to check the partition bounds while holding ${aLock(locks)}`
          : `Attaching ${partitionName} reads every row of it to check the partition bounds while holding ${aLock(locks)}`,
        location: effect.location,
        help: `First add a CHECK matching the bounds to ${partitionName} NOT VALID (e.g. CHECK (${keyText})) and VALIDATE it in a later migration; then ATTACH PARTITION skips the scan.`,
      });
    }
  },
});
