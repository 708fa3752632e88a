import { listName, type QualifiedName, sqlName } from '../../analysis/names.js';
import { shortName } from '../describe.js';
import { insertAfter } from '../fix.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'require-concurrent-index-deletion',
  title: 'Drop indexes CONCURRENTLY',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: ['drop-index', 'drop-index-concurrently'],
  docs: {
    problem:
      "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table as well as on the index. The drop itself is quick, but it has to wait for every query already running on the table, and while it waits every new read and write of the table queues behind it; in a migration transaction the lock is then held until the commit. DROP INDEX CONCURRENTLY waits for the queries using the index instead of blocking them.",
    safeAlternative: `-- drop without blocking reads and writes (pgwarden runs it alone, outside the migration's transaction)
DROP INDEX CONCURRENTLY users_email_idx;

-- one index per statement: CONCURRENTLY accepts a single index and no CASCADE
DROP INDEX CONCURRENTLY IF EXISTS orders_ref_idx;
DROP INDEX CONCURRENTLY IF EXISTS orders_state_idx;`,
    whenFine:
      'The index belongs to a table created earlier in the same migration (nobody uses it yet), or the table is tiny and idle. With runners other than pgwarden, DROP INDEX CONCURRENTLY needs a migration that runs without a transaction.',
  },
  examples: {
    bad: [
      'DROP INDEX users_email_idx;',
      'DROP INDEX IF EXISTS orders_ref_idx, orders_state_idx;',
      {
        sql: 'DROP INDEX events_at_idx;',
        before:
          'CREATE TABLE events (id bigint, at timestamptz);\nCREATE INDEX events_at_idx ON events (at);',
      },
    ],
    good: [
      'DROP INDEX CONCURRENTLY users_email_idx;',
      'DROP INDEX CONCURRENTLY IF EXISTS orders_ref_idx;',
      'CREATE TABLE imports (id bigint, batch text);\nCREATE INDEX imports_batch_idx ON imports (batch);\nDROP INDEX imports_batch_idx;',
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind !== 'DropStmt' || stmt.node.removeType !== 'OBJECT_INDEX' || stmt.node.concurrent) return;
    const names = (stmt.node.objects ?? [])
      .map((o: any) => listName(o?.List?.items))
      .filter(Boolean) as QualifiedName[];
    const dropped = ctx.effects.filter((e) => e.shape === 'drop-index');
    // indexes of tables created in this migration lock nothing anyone uses
    const hurting = dropped.filter((e) => !ctx.isNew(e.relations.table?.[0]));
    if (hurting.length === 0) return;
    const effect = hurting[0]!;
    const index = shortName(effect.relations.index?.[0] ?? 'the index', ctx.schema.defaultSchema);
    const table = effect.relations.table?.[0];
    // the lock that matters is the table's; the index's own lock goes without saying
    const what = table
      ? `an ${ctx.describeLocks({ ...effect, relations: { table: [table] } })} (and one on the index)`
      : 'an ACCESS EXCLUSIVE lock on the index and on its table, blocking all reads and writes of the table';
    const others =
      hurting.length > 1 ? ` (and ${hurting.length - 1} more ${plural(hurting.length - 1)})` : '';
    const cascade = stmt.node.behavior === 'DROP_CASCADE';
    const inBody = stmt.origin !== 'file';
    ctx.report({
      message: `DROP INDEX ${index}${others} without CONCURRENTLY takes ${what}; it waits for every running query on the table while new ones queue behind it`,
      help: inBody
        ? 'DROP INDEX CONCURRENTLY cannot run inside a DO block or function: drop the index with a top-level DROP INDEX CONCURRENTLY instead.'
        : `Use DROP INDEX CONCURRENTLY${names.length > 1 ? ', one statement per index' : ''}${cascade ? ' (it does not accept CASCADE: drop the dependent objects first)' : ''}. It cannot run in a transaction block: pgwarden runs it alone; with other runners put it in a migration without a transaction.`,
      fix: inBody || cascade ? undefined : concurrentFix(stmt.text, names, stmt.node.missing_ok === true),
    });
  },
});

function plural(n: number): string {
  return n === 1 ? 'index' : 'indexes';
}

/** One DROP INDEX CONCURRENTLY per index (CONCURRENTLY accepts a single index). */
function concurrentFix(text: string, names: QualifiedName[], ifExists: boolean): string | undefined {
  if (names.length === 1) return insertAfter(text, ['INDEX'], 'CONCURRENTLY');
  if (names.length === 0) return undefined;
  return names
    .map((name) => `DROP INDEX CONCURRENTLY ${ifExists ? 'IF EXISTS ' : ''}${sqlName(name)}`)
    .join(';\n');
}
