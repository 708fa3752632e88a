import { rangeVarName } from '../../analysis/names.js';
import { insertAfter } from '../fix.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'require-concurrent-index-creation',
  title: 'Create indexes on existing tables CONCURRENTLY',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['create-index', 'create-index-partitioned', 'create-index-concurrently'],
  docs: {
    problem:
      'CREATE INDEX takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits until the index is complete, which takes minutes on a large table. On a partitioned table the lock is taken on every partition.',
    safeAlternative: `-- build without blocking writes (pgwarden runs it outside the migration's transaction)
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);

-- on a partitioned table: an empty parent index, one concurrent build per partition, then attach
CREATE INDEX events_at_idx ON ONLY events (at);
CREATE INDEX CONCURRENTLY events_2026_at_idx ON events_2026 (at);
ALTER INDEX events_at_idx ATTACH PARTITION events_2026_at_idx;`,
    whenFine:
      'The table was created earlier in the same migration (nobody uses it yet), or it is known to be tiny. CREATE INDEX … ON ONLY a partitioned table builds nothing and is fine.',
  },
  examples: {
    bad: [
      'CREATE INDEX users_email_idx ON users (email);',
      'CREATE UNIQUE INDEX orders_ref_key ON orders (ref);',
    ],
    good: [
      'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nCREATE INDEX accounts_email_idx ON accounts (email);',
      {
        sql: 'CREATE INDEX events_at_idx ON ONLY events (at);',
        before: 'CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);',
      },
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'IndexStmt' || stmt.node.concurrent) return;
    const table = rangeVarName(stmt.node.relation);
    if (ctx.isNew(table)) return;
    const effect = ctx.effects.find(
      (e) => e.shape === 'create-index' || e.shape === 'create-index-partitioned',
    );
    if (!effect) return;
    const partitioned = effect.shape === 'create-index-partitioned';
    ctx.report({
      message: `CREATE INDEX without CONCURRENTLY takes a ${ctx.describeLocks(effect)}, for the whole index build`,
      location: stmt.node.relation?.location,
      help: partitioned
        ? 'CONCURRENTLY is refused on a partitioned table: create the index ON ONLY the parent, build it CONCURRENTLY on each partition, then ALTER INDEX … ATTACH PARTITION.'
        : 'Use CREATE INDEX CONCURRENTLY. It cannot run in a transaction block: pgwarden runs it alone; with other runners put it in its own migration without a transaction.',
      ...(partitioned ? {} : { fix: insertAfter(stmt.text, ['INDEX'], 'CONCURRENTLY') }),
    });
  },
});
