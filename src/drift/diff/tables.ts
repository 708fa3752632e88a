/**
 * Differences of tables (options, partitioning, row security) and their columns.
 */
import { displayIdent, displayQualified, quoteIdent } from '../../sql/quote.js';
import type { ColumnModel, TableModel } from '../model.js';
import * as sql from '../sql.js';
import { type Add, type DiffContext, DROPS_DATA, EXTRA, MISSING, PHASE, pair, tableKey } from './context.js';

function tableSummary(t: TableModel): string {
  return t.columns.map((c) => `${displayIdent(c.name)} ${c.type}`).join(', ');
}

export function diffTables(context: DiffContext, add: Add): void {
  const { expected, live } = context;
  const { missing, extra, both } = pair(expected.tables, live.tables, (t) => tableKey(t.schema, t.name));
  // parents before their partitions
  const depth = (t: TableModel): number => {
    let d = 0;
    for (let p = t.partitionOf; p && d < 100; d++)
      p = context.expectedTables.get(tableKey(p.schema, p.name))?.partitionOf;
    return d;
  };
  for (const t of [...missing].sort((a, b) => depth(a) - depth(b))) {
    const owned = context.missingOwnedSequences(t.schema, t.name);
    add(PHASE.table, {
      kind: 'table',
      object: displayQualified(t.schema, t.name),
      change: 'missing',
      detail: MISSING,
      expected: tableSummary(t),
      sql: [sql.createTableSql(t), ...owned.map(sql.ownedBySql)].join('\n'),
    });
  }
  for (const [e, l] of both) {
    diffTableOptions(e, l, add);
    // a partition's columns follow its parent's
    if (!e.partitionOf && !l.partitionOf) diffColumns(context, e, l, add);
  }
  for (const t of extra) {
    // a partition of a dropped parent goes with it
    if (t.partitionOf && context.extraTable(t.partitionOf.schema, t.partitionOf.name)) continue;
    add(PHASE.dropTable, {
      kind: 'table',
      object: displayQualified(t.schema, t.name),
      change: 'extra',
      detail: EXTRA,
      live: tableSummary(t),
      sql: `${DROPS_DATA}\nDROP TABLE ${sql.rel(t.schema, t.name)};`,
    });
  }
}

function diffTableOptions(e: TableModel, l: TableModel, add: Add): void {
  const name = sql.rel(e.schema, e.name);
  const table = (detail: string, expected: string, live: string, statement: string) =>
    add(PHASE.table, {
      kind: 'table',
      object: displayQualified(e.schema, e.name),
      change: 'different',
      detail,
      expected,
      live,
      sql: statement,
    });
  const partitioning = (t: TableModel) =>
    t.partitioned ? `partitioned by ${t.partitionKey ?? '?'}` : 'not partitioned';
  if (partitioning(e) !== partitioning(l)) {
    table(
      'partitioning differs',
      partitioning(e),
      partitioning(l),
      '-- cannot be changed in place: create the table as the migrations do, copy the rows, swap the names',
    );
  }
  const parent = (t: TableModel) =>
    t.partitionOf
      ? `partition of ${displayQualified(t.partitionOf.schema, t.partitionOf.name)} ${t.partitionOf.bound}`
      : 'not a partition';
  if (parent(e) !== parent(l)) {
    const statements: string[] = [];
    if (l.partitionOf)
      statements.push(
        `ALTER TABLE ${sql.rel(l.partitionOf.schema, l.partitionOf.name)} DETACH PARTITION ${name};`,
      );
    if (e.partitionOf) {
      statements.push(
        `ALTER TABLE ${sql.rel(e.partitionOf.schema, e.partitionOf.name)} ATTACH PARTITION ${name} ${e.partitionOf.bound};`,
      );
    }
    table('partition differs', parent(e), parent(l), statements.join('\n'));
  }
  if (e.unlogged !== l.unlogged) {
    const word = (t: TableModel) => (t.unlogged ? 'unlogged' : 'logged');
    table(
      'persistence differs',
      word(e),
      word(l),
      `ALTER TABLE ${name} SET ${e.unlogged ? 'UNLOGGED' : 'LOGGED'};`,
    );
  }
  if (e.rowSecurity !== l.rowSecurity) {
    const word = (t: TableModel) =>
      t.rowSecurity ? 'row level security enabled' : 'row level security disabled';
    table(
      'row level security differs',
      word(e),
      word(l),
      `ALTER TABLE ${name} ${e.rowSecurity ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY;`,
    );
  }
  if (e.forceRowSecurity !== l.forceRowSecurity) {
    const word = (t: TableModel) => (t.forceRowSecurity ? 'forced' : 'not forced');
    table(
      'forced row level security differs',
      word(e),
      word(l),
      `ALTER TABLE ${name} ${e.forceRowSecurity ? 'FORCE' : 'NO FORCE'} ROW LEVEL SECURITY;`,
    );
  }
}

function diffColumns(context: DiffContext, table: TableModel, liveTable: TableModel, add: Add): void {
  const name = sql.rel(table.schema, table.name);
  const object = (c: ColumnModel) => displayQualified(table.schema, table.name, c.name);
  const { missing, extra, both } = pair(table.columns, liveTable.columns, (c) => c.name);
  for (const c of missing) {
    const owned = context.missingOwnedSequences(table.schema, table.name, c.name);
    add(PHASE.column, {
      kind: 'column',
      object: object(c),
      change: 'missing',
      detail: MISSING,
      expected: sql.columnDefinition(c),
      sql: [`ALTER TABLE ${name} ADD COLUMN ${sql.columnDefinition(c)};`, ...owned.map(sql.ownedBySql)].join(
        '\n',
      ),
    });
  }
  for (const [e, l] of both) {
    const alter = `ALTER TABLE ${name} ALTER COLUMN ${quoteIdent(e.name)}`;
    const column = (
      detail: string,
      expected: string,
      live: string,
      statement: string,
      phase: number = PHASE.column,
    ) =>
      add(phase, {
        kind: 'column',
        object: object(e),
        change: 'different',
        detail,
        expected,
        live,
        sql: statement,
      });
    if ((e.generated ?? null) !== (l.generated ?? null)) {
      const word = (c: ColumnModel) =>
        c.generated !== undefined ? `generated always as (${c.generated}) stored` : 'not generated';
      column(
        'generation expression differs',
        word(e),
        word(l),
        e.generated === undefined
          ? `${alter} DROP EXPRESSION;`
          : context.aroundViews(
              [table],
              [
                '-- the column is made anew; indexes and constraints on it go with the old one',
                `ALTER TABLE ${name} DROP COLUMN ${quoteIdent(e.name)};`,
                `ALTER TABLE ${name} ADD COLUMN ${sql.columnDefinition(e)};`,
              ],
            ),
      );
      if (e.generated !== undefined) continue;
    }
    const typed = (c: ColumnModel) => (c.collation ? `${c.type} COLLATE ${c.collation}` : c.type);
    if (typed(e) !== typed(l)) {
      column(
        e.type !== l.type ? 'type differs' : 'collation differs',
        typed(e),
        typed(l),
        context.aroundViews(
          [table],
          [
            '-- rewrites the table under an ACCESS EXCLUSIVE lock unless the types are binary compatible',
            `${alter} TYPE ${typed(e)} USING ${quoteIdent(e.name)}::${e.type};`,
          ],
        ),
      );
    }
    if (l.identity && !e.identity)
      column(
        'identity differs',
        'not an identity column',
        `generated ${l.identity} as identity`,
        `${alter} DROP IDENTITY;`,
      );
    if (e.notNull !== l.notNull) {
      const word = (c: ColumnModel) => (c.notNull ? 'NOT NULL' : 'NULL');
      column('nullability differs', word(e), word(l), `${alter} ${e.notNull ? 'SET' : 'DROP'} NOT NULL;`);
    }
    if ((e.default ?? null) !== (l.default ?? null)) {
      column(
        'default differs',
        e.default ?? 'no default',
        l.default ?? 'no default',
        e.default !== undefined ? `${alter} SET DEFAULT ${e.default};` : `${alter} DROP DEFAULT;`,
      );
    }
    if (e.identity && e.identity !== l.identity) {
      column(
        'identity differs',
        `generated ${e.identity} as identity`,
        l.identity ? `generated ${l.identity} as identity` : 'not an identity column',
        l.identity
          ? `${alter} SET GENERATED ${sql.identityWord(e.identity)};`
          : `${alter} ADD GENERATED ${sql.identityWord(e.identity)} AS IDENTITY;`,
      );
    }
  }
  for (const c of extra) {
    add(PHASE.dropColumn, {
      kind: 'column',
      object: object(c),
      change: 'extra',
      detail: EXTRA,
      live: sql.columnDefinition(c),
      sql: context.aroundViews(
        [table],
        [DROPS_DATA, `ALTER TABLE ${name} DROP COLUMN ${quoteIdent(c.name)};`],
      ),
    });
  }
}
