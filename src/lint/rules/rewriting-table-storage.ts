import type { Effect } from '../../analysis/effects.js';
import { displayName, rangeVarName, sqlName } from '../../analysis/names.js';
import { quoteIdentIfNeeded } from '../../sql/quote.js';
import { shortName } from '../describe.js';
import { defineRule, type RuleContext } from '../rule.js';

const SHAPES = ['set-logged', 'set-unlogged', 'set-tablespace', 'set-access-method'];

export const rule = defineRule({
  id: 'rewriting-table-storage',
  title: 'SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD rewrite the table',
  defaultLevel: 'error',
  preset: 'recommended',
  sizeDependent: true,
  shapes: SHAPES,
  docs: {
    problem:
      "These ALTER TABLE forms copy the whole table into new files while holding an ACCESS EXCLUSIVE lock, so every read and write waits until the copy is done. SET LOGGED and SET UNLOGGED rewrite the table and all its indexes (SET LOGGED also writes all of it to the WAL, which replicas must replay); SET ACCESS METHOD rewrites the table and its indexes; SET TABLESPACE copies the table's files block by block (ALTER INDEX … SET TABLESPACE does the same to an index, and every query planned on its table waits). On a large table that is minutes of downtime.",
    safeAlternative: `-- move a table to another tablespace without blocking: pg_repack rebuilds it online
--   pg_repack --table=events --tablespace=fast_ssd --moveidx mydb

-- change persistence or access method online: build a new table and swap it in
CREATE TABLE events_new (LIKE events INCLUDING ALL);
-- copy the rows in batches (and keep new writes in sync with a trigger), then in a short transaction:
-- ALTER TABLE events RENAME TO events_old; ALTER TABLE events_new RENAME TO events;

-- or do it in a maintenance window, with the application stopped`,
    whenFine:
      'The table was created earlier in the same migration (nobody uses it yet), or it is small. Nothing is rewritten when the table already has the requested persistence, or when it is a partitioned table (it has no storage of its own).',
  },
  examples: {
    bad: [
      'ALTER TABLE events SET LOGGED;',
      'ALTER TABLE events SET TABLESPACE fast_ssd;',
      'ALTER TABLE events SET ACCESS METHOD columnar;',
      {
        sql: 'ALTER TABLE import_rows SET LOGGED;',
        before: 'CREATE UNLOGGED TABLE import_rows (id bigint, payload jsonb);',
      },
    ],
    good: [
      'CREATE UNLOGGED TABLE import_rows (id bigint, payload jsonb);\nALTER TABLE import_rows SET LOGGED;',
      {
        sql: 'ALTER TABLE events SET LOGGED;',
        before: 'CREATE TABLE events (id bigint, at timestamptz);',
      },
      {
        sql: 'ALTER TABLE measurements SET TABLESPACE archive;',
        before: 'CREATE TABLE measurements (at timestamptz, value float8) PARTITION BY RANGE (at);',
      },
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.kind === 'AlterTableMoveAllStmt') return moveAll(ctx);
    if (stmt.kind !== 'AlterTableStmt') return;
    if (stmt.node.objtype === 'OBJECT_INDEX') return indexTablespace(ctx);
    for (const effect of ctx.effects) {
      if (!SHAPES.includes(effect.shape) || !effect.facts.supported) continue;
      const key = effect.relations.table?.[0];
      if (ctx.isNew(key)) continue;
      const table = ctx.table(key);
      // no storage of its own: only the default for future partitions changes
      if (table?.kind === 'partitioned') continue;
      if (effect.shape === 'set-logged' && table?.persistence === 'permanent') continue;
      if (effect.shape === 'set-unlogged' && table?.persistence === 'unlogged') continue;
      ctx.report({
        message: `${what(effect, stmt.node.cmds, ctx.schema.defaultSchema)} under an ${ctx.describeLocks(effect)}, until the copy is done`,
        location: effect.location,
        help: help(effect.shape),
      });
    }
  },
});

function what(effect: Effect, cmds: any[], defaultSchema: string): string {
  const name = shortName(effect.relations.table?.[0] ?? 'the table', defaultSchema);
  const target = (subtype: string) =>
    (cmds ?? []).find((c: any) => c?.AlterTableCmd?.subtype === subtype)?.AlterTableCmd?.name as
      | string
      | undefined;
  switch (effect.shape) {
    case 'set-logged':
      return `SET LOGGED rewrites ${name} and all its indexes, writing every row to the WAL,`;
    case 'set-unlogged':
      return `SET UNLOGGED rewrites ${name} and all its indexes`;
    case 'set-tablespace': {
      const space = target('AT_SetTableSpace');
      return `SET TABLESPACE copies ${name}${space ? ` to tablespace ${space}` : ''} block by block`;
    }
    default: {
      const method = target('AT_SetAccessMethod');
      return `SET ACCESS METHOD${method ? ` ${method}` : ''} rewrites ${name} and all its indexes`;
    }
  }
}

function help(shape: string): string {
  if (shape === 'set-tablespace')
    return 'Move it online with pg_repack (--tablespace, --moveidx), or in a maintenance window.';
  return 'There is no online form: build a new table, copy the rows in batches and swap the names, or do it in a maintenance window.';
}

/** ALTER INDEX … SET TABLESPACE copies the index under ACCESS EXCLUSIVE (no lock-table shape yet). */
function indexTablespace(ctx: RuleContext): void {
  const n = ctx.stmt.node;
  const cmd = (n.cmds ?? []).find(
    (c: any) => c?.AlterTableCmd?.subtype === 'AT_SetTableSpace',
  )?.AlterTableCmd;
  if (!cmd) return;
  const name = rangeVarName(n.relation);
  const index = ctx.schema.index(name);
  if (index && ctx.isNew(index.table)) return;
  const table = index ? `${shortName(index.table, ctx.schema.defaultSchema)}` : 'its table';
  ctx.report({
    message: `ALTER INDEX … SET TABLESPACE copies ${name ? displayName(name) : 'the index'} to tablespace ${cmd.name} under an ACCESS EXCLUSIVE lock on the index; every query planned on ${table} opens its indexes, so reads and writes of ${table} wait until the copy is done`,
    location: n.relation?.location,
    ...(ctx.pgMajor >= 14 && name && ctx.stmt.origin === 'file'
      ? {
          help: 'PostgreSQL 14+ moves an index online with REINDEX (TABLESPACE …) INDEX CONCURRENTLY, which cannot run in a transaction block (pgwarden runs it alone).',
          fix: `REINDEX (TABLESPACE ${quoteIdentIfNeeded(cmd.name)}) INDEX CONCURRENTLY ${sqlName(name)}`,
        }
      : {
          help: 'Build a new index CONCURRENTLY … TABLESPACE …, drop the old one CONCURRENTLY and rename the new one, or use pg_repack (--only-indexes --tablespace).',
        }),
  });
}

/** ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b: every table in a is copied, each under ACCESS EXCLUSIVE. */
function moveAll(ctx: RuleContext): void {
  const n = ctx.stmt.node;
  if (n.objtype !== 'OBJECT_TABLE' && n.objtype !== 'OBJECT_MATVIEW' && n.objtype !== 'OBJECT_INDEX') return;
  const kind =
    n.objtype === 'OBJECT_INDEX' ? 'index' : n.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table';
  ctx.report({
    message: `ALTER … ALL IN TABLESPACE ${n.orig_tablespacename} SET TABLESPACE ${n.new_tablespacename} locks every ${kind} in ${n.orig_tablespacename} with ACCESS EXCLUSIVE and copies them one by one: their reads and writes wait until all are moved`,
    help: 'Move the tables one at a time with pg_repack (--tablespace), or in a maintenance window.',
  });
}
