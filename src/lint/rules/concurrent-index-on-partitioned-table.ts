import { displayName, rangeVarName } from '../../analysis/names.js';
import { shortName } from '../describe.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'concurrent-index-on-partitioned-table',
  title: 'CREATE INDEX CONCURRENTLY on a partitioned table',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: ['create-index-concurrently', 'create-index-on-only', 'attach-index-partition'],
  docs: {
    problem:
      'PostgreSQL refuses CREATE INDEX CONCURRENTLY on a partitioned table ("cannot create index on partitioned table … concurrently"), with or without ON ONLY: the migration fails at deploy time. Dropping CONCURRENTLY is no answer either: a plain CREATE INDEX on the parent blocks writes to every partition for the whole build. pgwarden knows a table is partitioned when it was created with PARTITION BY in the linted SQL, or from the live database (--database-url).',
    safeAlternative: `-- 1. an index on the parent alone: nothing is built, it starts out invalid
CREATE INDEX events_at_idx ON ONLY events (at);

-- 2. build each partition's index without blocking writes (pgwarden runs these alone)
CREATE INDEX CONCURRENTLY events_2025_at_idx ON events_2025 (at);
CREATE INDEX CONCURRENTLY events_2026_at_idx ON events_2026 (at);

-- 3. attach them; the parent index becomes valid once every partition has one
ALTER INDEX events_at_idx ATTACH PARTITION events_2025_at_idx;
ALTER INDEX events_at_idx ATTACH PARTITION events_2026_at_idx;`,
    whenFine:
      'Never on a partitioned table. CREATE INDEX CONCURRENTLY on a single partition (or any ordinary table) is fine.',
  },
  examples: {
    bad: [
      {
        sql: 'CREATE INDEX CONCURRENTLY events_at_idx ON events (at);',
        before:
          "CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);\nCREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      },
      {
        sql: 'CREATE UNIQUE INDEX CONCURRENTLY events_id_at_key ON ONLY events (id, at);',
        before: 'CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);',
      },
    ],
    good: [
      'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      {
        sql: 'CREATE INDEX events_at_idx ON ONLY events (at);\nCREATE INDEX CONCURRENTLY events_2026_at_idx ON events_2026 (at);\nALTER INDEX events_at_idx ATTACH PARTITION events_2026_at_idx;',
        before:
          "CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);\nCREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      },
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'IndexStmt' || !stmt.node.concurrent) return;
    const table = ctx.table(rangeVarName(stmt.node.relation));
    if (table?.kind !== 'partitioned') return;
    const name = displayName(rangeVarName(stmt.node.relation)!);
    const partitions = ctx.schema
      .partitions(table.key)
      .map((p) => shortName(p.key, ctx.schema.defaultSchema));
    const list =
      partitions.length === 0
        ? ''
        : ` (known partitions: ${partitions.slice(0, 5).join(', ')}${partitions.length > 5 ? `, and ${partitions.length - 5} more` : ''})`;
    ctx.report({
      message: `${name} is a partitioned table: PostgreSQL refuses CREATE INDEX CONCURRENTLY on it ("cannot create index on partitioned table … concurrently"), so the migration fails here`,
      location: stmt.node.relation?.location,
      help: `Create the index ON ONLY ${name} without CONCURRENTLY (it builds nothing), build a matching index CONCURRENTLY on each partition${list}, then ALTER INDEX … ATTACH PARTITION each one.`,
    });
  },
});
