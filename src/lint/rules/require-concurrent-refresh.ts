import { displayName, rangeVarName } from '../../analysis/names.js';
import { insertAfter } from '../fix.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'require-concurrent-refresh',
  title: 'Refresh materialized views CONCURRENTLY',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['refresh-materialized-view', 'refresh-materialized-view-concurrently'],
  docs: {
    problem:
      'REFRESH MATERIALIZED VIEW recomputes the whole view into new files while holding an ACCESS EXCLUSIVE lock on it: every query that reads the view waits until the refresh (and, in a migration, the whole transaction) is over, which for an expensive view is minutes. REFRESH … CONCURRENTLY computes the new contents beside the old ones and applies the difference, so readers keep working.',
    safeAlternative: `-- once: CONCURRENTLY needs a unique index on the view (plain columns, no WHERE)
CREATE UNIQUE INDEX CONCURRENTLY sales_totals_day_key ON sales_totals (day);

-- readers keep reading the old contents while the new ones are computed
REFRESH MATERIALIZED VIEW CONCURRENTLY sales_totals;`,
    whenFine:
      'The view was created earlier in the same migration, or it has never been populated (created WITH NO DATA and not refreshed since, as pgwarden knows from the earlier migrations or the live database): nobody can read it yet, and CONCURRENTLY is refused on it. REFRESH … WITH NO DATA only empties the view and is not reported.',
  },
  examples: {
    bad: [
      'REFRESH MATERIALIZED VIEW sales_totals;',
      {
        sql: 'REFRESH MATERIALIZED VIEW sales_totals;',
        before:
          'CREATE TABLE sales (day date, amount numeric);\nCREATE MATERIALIZED VIEW sales_totals AS SELECT day, sum(amount) AS total FROM sales GROUP BY day;',
      },
    ],
    good: [
      'REFRESH MATERIALIZED VIEW CONCURRENTLY sales_totals;',
      'CREATE MATERIALIZED VIEW sales_totals AS SELECT day, sum(amount) AS total FROM sales GROUP BY day WITH NO DATA;\nCREATE UNIQUE INDEX sales_totals_day_key ON sales_totals (day);\nREFRESH MATERIALIZED VIEW sales_totals;',
      'REFRESH MATERIALIZED VIEW sales_totals WITH NO DATA;',
      {
        sql: 'REFRESH MATERIALIZED VIEW sales_totals;',
        before:
          'CREATE TABLE sales (day date, amount numeric);\nCREATE MATERIALIZED VIEW sales_totals AS SELECT day, sum(amount) AS total FROM sales GROUP BY day WITH NO DATA;',
      },
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'RefreshMatViewStmt' || stmt.node.concurrent || stmt.node.skipData) return;
    const effect = ctx.effects.find((e) => e.shape === 'refresh-materialized-view');
    if (!effect) return;
    const view = effect.relations.table?.[0];
    // new, or never populated (WITH NO DATA): nobody reads it yet, and CONCURRENTLY is refused on it
    if (ctx.isNew(view) || ctx.table(view)?.populated === false) return;
    const name = displayName(rangeVarName(stmt.node.relation) ?? { schema: undefined, name: 'the view' });
    const facts = ctx.table(view);
    const uniqueIndex = facts
      ? [...ctx.schema.indexes.values()].some(
          (i) => i.table === facts.key && i.unique && i.columns.length > 0,
        )
      : undefined;
    const help =
      uniqueIndex === false
        ? `Create a unique index on ${name} first (CREATE UNIQUE INDEX CONCURRENTLY … on plain columns, without WHERE): REFRESH … CONCURRENTLY refuses a view without one. Then refresh CONCURRENTLY.`
        : 'Use REFRESH MATERIALIZED VIEW CONCURRENTLY: readers keep the old contents until the new ones are ready. It needs a unique index on the view (plain columns, no WHERE) and a view that has been populated once.';
    ctx.report({
      message: `REFRESH MATERIALIZED VIEW ${name} without CONCURRENTLY recomputes the view under an ${ctx.describeLocks(effect)}: every query reading it waits for the whole refresh`,
      location: effect.location,
      help,
      fix: uniqueIndex === false ? undefined : insertAfter(stmt.text, ['VIEW'], 'CONCURRENTLY'),
    });
  },
});
