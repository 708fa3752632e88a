import { booleanOption } from '../../analysis/names.js';
import { factsFor } from '../../locks/lock-table.js';
import { shortName } from '../describe.js';
import { defineRule, type RuleContext } from '../rule.js';

export const rule = defineRule({
  id: 'ban-vacuum-full-cluster',
  title: 'VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: ['vacuum-full', 'cluster', 'vacuum'],
  docs: {
    problem:
      'VACUUM FULL and CLUSTER copy the whole table into new files and rebuild every index while holding an ACCESS EXCLUSIVE lock: every read and write of the table waits until the copy is done, minutes to hours on a large table, and they need room for a second copy of it. Without a table name they process every table of the database (VACUUM FULL) or every table clustered before (CLUSTER).',
    safeAlternative: `-- reclaim space without blocking: plain VACUUM runs beside reads and writes
VACUUM (ANALYZE) orders;

-- rebuild or re-cluster online with an extension (brief locks only at the start and end)
--   pg_repack --table=orders mydb              (add --order-by=created_at to cluster)
--   SELECT squeeze.squeeze_table('public', 'orders');   (pg_squeeze)

-- PostgreSQL 19+: REPACK (CONCURRENTLY) orders;`,
    whenFine:
      'The table was created earlier in the same migration, or it is small enough that a full copy takes a moment; or it runs in a maintenance window with the application stopped. Plain VACUUM and ANALYZE are not reported.',
  },
  examples: {
    bad: [
      'VACUUM FULL orders;',
      'CLUSTER orders USING orders_created_at_idx;',
      { sql: 'VACUUM (FULL, ANALYZE) orders;', pgVersion: 19 },
    ],
    good: [
      'VACUUM (ANALYZE) orders;',
      'VACUUM (FULL false) orders;',
      'CREATE TABLE imports (id bigint PRIMARY KEY, batch text);\nCREATE INDEX imports_batch_idx ON imports (batch);\nCLUSTER imports USING imports_batch_idx;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind === 'VacuumStmt') {
      if (!stmt.node.is_vacuumcmd || booleanOption(stmt.node.options, 'full') !== true) return;
      const rels = (stmt.node.rels ?? []) as any[];
      if (rels.length === 0) {
        report(ctx, 'VACUUM FULL without a table name rewrites every table of the database', undefined);
        return;
      }
      for (const effect of ctx.effects) {
        // `FULL` was read above (`FULL false`, `FULL 0` and `FULL off` are plain VACUUMs): use VACUUM FULL's facts
        const full =
          effect.shape === 'vacuum-full'
            ? effect
            : { ...effect, shape: 'vacuum-full', facts: factsFor('vacuum-full', ctx.pgMajor) };
        const table = full.relations.table?.[0];
        if (ctx.isNew(table)) continue;
        report(
          ctx,
          `VACUUM FULL rewrites ${tableName(ctx, table)} and rebuilds all its indexes under an ${ctx.describeLocks(full)}, until the copy is done`,
          full.location,
        );
      }
      return;
    }
    if (stmt.kind === 'ClusterStmt') {
      if (!stmt.node.relation) {
        report(
          ctx,
          'CLUSTER without a table name rewrites every table that was clustered before, each under an ACCESS EXCLUSIVE lock that blocks all its reads and writes',
          undefined,
        );
        return;
      }
      const effect = ctx.effects.find((e) => e.shape === 'cluster');
      if (!effect) return;
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) return;
      report(
        ctx,
        `CLUSTER rewrites ${tableName(ctx, table)} in index order and rebuilds all its indexes under an ${ctx.describeLocks(effect)}, until the copy is done`,
        effect.location,
      );
    }
  },
});

function tableName(ctx: RuleContext, key: string | undefined): string {
  return key ? shortName(key, ctx.schema.defaultSchema) : 'the table';
}

function report(ctx: RuleContext, message: string, location: number | undefined): void {
  ctx.report({
    message,
    location,
    help:
      ctx.pgMajor >= 19
        ? 'Use REPACK (CONCURRENTLY), which rebuilds the table while reads and writes go on, or pg_repack / pg_squeeze; otherwise run it in a maintenance window.'
        : 'Rebuild the table online with pg_repack or pg_squeeze (PostgreSQL 19 adds REPACK (CONCURRENTLY)), or run it in a maintenance window; plain VACUUM does not block reads or writes.',
  });
}
