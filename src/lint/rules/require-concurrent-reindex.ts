import type { Effect } from '../../analysis/effects.js';
import { booleanOption, displayName, rangeVarName } from '../../analysis/names.js';
import { factsFor } from '../../locks/lock-table.js';
import { insertAfter } from '../fix.js';
import { defineRule } from '../rule.js';

const TARGET: Record<string, { keyword: string; what: string }> = {
  REINDEX_OBJECT_INDEX: { keyword: 'INDEX', what: 'REINDEX INDEX' },
  REINDEX_OBJECT_TABLE: { keyword: 'TABLE', what: 'REINDEX TABLE' },
  REINDEX_OBJECT_SCHEMA: { keyword: 'SCHEMA', what: 'REINDEX SCHEMA' },
  REINDEX_OBJECT_DATABASE: { keyword: 'DATABASE', what: 'REINDEX DATABASE' },
  REINDEX_OBJECT_SYSTEM: { keyword: 'SYSTEM', what: 'REINDEX SYSTEM' },
};

/** The value of a boolean option such as `(CONCURRENTLY)` / `(CONCURRENTLY false)`, or undefined when absent. */

export const rule = defineRule({
  id: 'require-concurrent-reindex',
  title: 'Reindex CONCURRENTLY',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: ['reindex-index', 'reindex-table', 'reindex-concurrently'],
  docs: {
    problem:
      'REINDEX rebuilds the index while holding a SHARE lock on the table, which blocks every INSERT, UPDATE and DELETE, and an ACCESS EXCLUSIVE lock on the index itself. Every query that plans against the table opens all of its indexes, so in practice reads of the table wait too, for the whole rebuild. REINDEX TABLE does this for each index of the table; REINDEX SCHEMA and DATABASE for every table they cover (and they cannot run in a transaction block: ban-concurrent-index-creation-in-transaction reports that). REINDEX … CONCURRENTLY (PostgreSQL 12+) builds a new copy beside the old index and swaps them, without blocking reads or writes.',
    safeAlternative: `-- PostgreSQL 12+: rebuild beside the old index (pgwarden runs it alone, outside the migration's transaction)
REINDEX INDEX CONCURRENTLY users_email_idx;
REINDEX TABLE CONCURRENTLY orders;

-- before PostgreSQL 12: build a replacement, then swap the names
CREATE INDEX CONCURRENTLY users_email_idx_new ON users (email);
DROP INDEX CONCURRENTLY users_email_idx;
ALTER INDEX users_email_idx_new RENAME TO users_email_idx;`,
    whenFine:
      'The index or table was created earlier in the same migration, or the table is tiny and idle. REINDEX SYSTEM has no concurrent form: keep it for a maintenance window, not a migration.',
  },
  examples: {
    bad: [
      'REINDEX INDEX users_email_idx;',
      'REINDEX TABLE orders;',
      'REINDEX SCHEMA billing;',
      { sql: 'REINDEX INDEX users_email_idx;', pgVersion: 11 },
    ],
    good: [
      'REINDEX INDEX CONCURRENTLY users_email_idx;',
      'REINDEX (VERBOSE) TABLE CONCURRENTLY orders;',
      'CREATE TABLE imports (id bigint PRIMARY KEY, batch text);\nCREATE INDEX imports_batch_idx ON imports (batch);\nREINDEX TABLE imports;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'ReindexStmt') return;
    const n = stmt.node;
    const target = TARGET[n.kind];
    if (!target || booleanOption(n.params, 'concurrently') === true) return;
    const explicitOff = booleanOption(n.params, 'concurrently') === false;
    const inBody = stmt.origin !== 'file';
    const concurrentFix =
      explicitOff || inBody ? undefined : insertAfter(stmt.text, [target.keyword], 'CONCURRENTLY');

    if (n.kind === 'REINDEX_OBJECT_INDEX' || n.kind === 'REINDEX_OBJECT_TABLE') {
      const effect = plainReindexEffect(ctx.effects, n.kind, ctx.pgMajor);
      if (!effect) return;
      const table = effect.relations.table?.[0];
      if (ctx.isNew(table)) return;
      const name = displayName(rangeVarName(n.relation) ?? { schema: undefined, name: '?' });
      const onTable = table
        ? ctx.describeLocks({ ...effect, relations: { table: [table] } })
        : 'SHARE lock on its table, blocking writes (INSERT, UPDATE, DELETE)';
      const onIndexes = n.kind === 'REINDEX_OBJECT_INDEX' ? 'the index' : 'each of its indexes';
      const message = `${target.what} ${name} without CONCURRENTLY holds, for the whole rebuild, a ${onTable}, and an ACCESS EXCLUSIVE lock on ${onIndexes}, so the queries planned on the table wait too`;
      if (ctx.pgMajor < 12) {
        ctx.report({
          message: `${message}; REINDEX CONCURRENTLY only exists from PostgreSQL 12`,
          location: effect.location,
          help: 'On PostgreSQL 11 and older, build a replacement with CREATE INDEX CONCURRENTLY, drop the old index with DROP INDEX CONCURRENTLY and rename the new one; or run REINDEX in a maintenance window.',
          level: 'warning',
        });
        return;
      }
      ctx.report({
        message,
        location: effect.location,
        help: inBody
          ? 'REINDEX CONCURRENTLY cannot run inside a DO block or function: run it as a top-level statement.'
          : `Use ${target.what} CONCURRENTLY. It cannot run in a transaction block: pgwarden runs it alone; with other runners put it in a migration without a transaction.`,
        fix: concurrentFix,
      });
      return;
    }

    // SCHEMA / DATABASE / SYSTEM: every table they cover, and no transaction block allowed
    const scope =
      n.kind === 'REINDEX_OBJECT_SCHEMA'
        ? `every table of schema ${n.name}`
        : n.kind === 'REINDEX_OBJECT_DATABASE'
          ? 'every table of the database'
          : 'the system catalogs';
    const message =
      n.kind === 'REINDEX_OBJECT_SYSTEM'
        ? `REINDEX SYSTEM rebuilds every index of the system catalogs under ACCESS EXCLUSIVE locks, so sessions that read the catalogs (new connections, query planning, DDL) wait`
        : `${target.what} rebuilds the indexes of ${scope}, one table at a time, each under a SHARE lock on the table (blocking writes) and an ACCESS EXCLUSIVE lock on its indexes (so the queries planned on it wait too)`;
    if (n.kind === 'REINDEX_OBJECT_SYSTEM') {
      ctx.report({
        message,
        help: 'System catalogs cannot be reindexed concurrently: run REINDEX SYSTEM in a maintenance window, outside the migrations.',
      });
      return;
    }
    if (ctx.pgMajor < 12) {
      ctx.report({
        message: `${message}; REINDEX CONCURRENTLY only exists from PostgreSQL 12`,
        help: 'Reindex the indexes that need it one by one (CREATE INDEX CONCURRENTLY a replacement, DROP INDEX CONCURRENTLY the old one), or run it in a maintenance window.',
        level: 'warning',
      });
      return;
    }
    ctx.report({
      message,
      help: `Use ${target.what} CONCURRENTLY (it skips the system catalogs) in a migration that runs without a transaction, or reindex only the indexes that need it.`,
      fix: concurrentFix,
    });
  },
});

/**
 * The plain REINDEX effect. The classifier treats any CONCURRENTLY option as concurrent, even
 * `(CONCURRENTLY false)`; such a statement gets the plain shape's facts here.
 */
function plainReindexEffect(effects: readonly Effect[], kind: string, pgMajor: number): Effect | undefined {
  const plain = effects.find((e) => e.shape === 'reindex-index' || e.shape === 'reindex-table');
  if (plain) return plain;
  const concurrent = effects.find((e) => e.shape === 'reindex-concurrently');
  if (!concurrent) return undefined;
  const shape = kind === 'REINDEX_OBJECT_INDEX' ? 'reindex-index' : 'reindex-table';
  return { ...concurrent, shape, facts: factsFor(shape, pgMajor) };
}
