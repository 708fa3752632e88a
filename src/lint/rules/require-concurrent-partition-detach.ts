import { aLock, shortName } from '../describe.js';
import { appendToStatement } from '../fix.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'require-concurrent-partition-detach',
  title: 'Detach partitions CONCURRENTLY',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: ['detach-partition', 'detach-partition-concurrently'],
  docs: {
    problem:
      'ALTER TABLE … DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned table and on the partition: every query on the whole partitioned table waits for it, and while it waits for running queries to finish, every new query queues behind it. Since PostgreSQL 14, DETACH PARTITION … CONCURRENTLY takes only SHARE UPDATE EXCLUSIVE locks, which let reads and writes go on. It cannot run inside a transaction block and is refused while the partitioned table has a DEFAULT partition.',
    safeAlternative: `-- PostgreSQL 14+: runs alone, outside a transaction (pgwarden migrate sends it that way;
-- with other runners give it a migration of its own without a transaction)
ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;

-- if it was interrupted, finish it
ALTER TABLE events DETACH PARTITION events_2019 FINALIZE;`,
    whenFine:
      'The partitioned table was created in the same migration, or it is not busy. Before PostgreSQL 14 there is no CONCURRENTLY: keep the plain DETACH in a short transaction of its own with a lock_timeout (reported as a warning).',
  },
  examples: {
    bad: [
      'ALTER TABLE events DETACH PARTITION events_2019;',
      { sql: 'ALTER TABLE events DETACH PARTITION events_2019;', pgVersion: 13 },
    ],
    good: [
      'ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;',
      "CREATE TABLE metrics (at timestamptz, v float8) PARTITION BY RANGE (at);\nCREATE TABLE metrics_old PARTITION OF metrics FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\nALTER TABLE metrics DETACH PARTITION metrics_old;",
      'ALTER TABLE events DETACH PARTITION events_2019 FINALIZE;',
    ],
  },
  kinds: ['AlterTableStmt'],
  check(ctx) {
    for (const effect of ctx.effects) {
      if (effect.shape !== 'detach-partition') continue;
      const parent = effect.relations.parent?.[0];
      const partition = effect.relations.partition?.[0];
      if (ctx.isNew(parent) && (partition === undefined || ctx.isNew(partition))) continue;
      const schema = ctx.schema.defaultSchema;
      const partitionName = partition ? shortName(partition, schema) : 'the partition';
      const message = `Detaching ${partitionName} takes ${aLock(ctx.describeLocks(effect))}`;
      if (ctx.pgMajor < 14) {
        ctx.report({
          message,
          location: effect.location,
          help: `DETACH PARTITION … CONCURRENTLY needs PostgreSQL 14 (linting for ${ctx.pgMajor}): run the plain DETACH in a short transaction of its own with a lock_timeout, or upgrade.`,
          level: 'warning',
        });
        continue;
      }
      // CONCURRENTLY is refused in a transaction block, hence in a DO block or a function
      const embedded = ctx.stmt.origin !== 'file';
      const single = (ctx.stmt.node.cmds ?? []).length === 1;
      const fix = !embedded && single ? appendToStatement(ctx.stmt.text, 'CONCURRENTLY') : undefined;
      const where = embedded
        ? ' It cannot run inside a DO block or a function: move it to a migration of its own.'
        : ctx.tx.explicit
          ? ' It cannot run inside a transaction block: take it out of the BEGIN … COMMIT.'
          : ctx.runner.nonTransactional === 'isolate'
            ? ' pgwarden migrate runs it alone, outside the transaction.'
            : ctx.runner.nonTransactional === 'autocommit-file'
              ? ` ${ctx.runner.id === 'flyway' ? 'Flyway' : 'The runner'} then runs this file without a transaction.`
              : ctx.inTransaction
                ? ' It cannot run inside a transaction block: give it a migration of its own that runs without one.'
                : '';
      ctx.report({
        message,
        location: effect.location,
        help: `Use DETACH PARTITION … CONCURRENTLY, which lets reads and writes go on (refused while there is a DEFAULT partition).${where}`,
        ...(fix ? { fix } : {}),
      });
    }
  },
});
