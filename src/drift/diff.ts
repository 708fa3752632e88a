/**
 * `diffCatalogs(expected, live)`: every difference between the schema the migrations build and the
 * live one, each with the SQL that makes live match the migrations. The differences come in an
 * order in which their SQL can be run one after the other: drops of what hangs on other objects
 * first, then creations from types and tables up to indexes, triggers and policies. Objects that
 * follow a parent (partitions' columns, inherited constraints, cloned triggers, attached indexes)
 * are left to the parent; the children of an extra table go with its DROP TABLE.
 */
import { quoteIdent, quoteLiteral } from '../db/quote.js';
import type {
  CatalogModel,
  ColumnModel,
  ConstraintModel,
  EnumModel,
  FunctionModel,
  IndexModel,
  PolicyModel,
  SequenceModel,
  TableModel,
  TriggerModel,
  ViewModel,
} from './model.js';
import * as sql from './sql.js';

export type DifferenceKind =
  | 'table'
  | 'column'
  | 'index'
  | 'constraint'
  | 'sequence'
  | 'view'
  | 'function'
  | 'trigger'
  | 'enum'
  | 'extension'
  | 'policy';

export interface Difference {
  kind: DifferenceKind;
  /** `schema.name`, `schema.table.column|constraint|trigger|policy`, `schema.function(args)`, or an extension's name. */
  object: string;
  /** `missing` in live, `extra` in live (not in the migrations), or `different`. */
  change: 'missing' | 'extra' | 'different';
  /** What differs, in words. */
  detail: string;
  /** The migrations' side of what differs. */
  expected?: string;
  /** The live side of what differs. */
  live?: string;
  /** SQL that makes live match the migrations (a comment when it cannot be done in place). */
  sql: string;
}

/**
 * The order the SQL runs in: drops of dependent objects, then creations bottom-up. Drops of
 * functions, sequences, types and extensions come last, after everything that used them changed.
 */
const PHASE = {
  dropPolicy: 0,
  dropTrigger: 1,
  dropView: 2,
  dropForeignKey: 3,
  dropConstraint: 4,
  dropIndex: 5,
  dropColumn: 6,
  dropTable: 7,
  extension: 10,
  enum: 11,
  createSequence: 12,
  table: 13,
  column: 14,
  alterSequence: 15,
  function: 16,
  view: 17,
  constraint: 18,
  foreignKey: 19,
  index: 20,
  trigger: 21,
  policy: 22,
  dropFunction: 30,
  dropSequence: 31,
  dropEnum: 32,
  dropExtension: 33,
} as const;

const DROPS_DATA = '-- drops the data it holds';

export function diffCatalogs(expected: CatalogModel, live: CatalogModel): Difference[] {
  const out: Array<{ phase: number; difference: Difference }> = [];
  const add = (phase: number, difference: Difference) => out.push({ phase, difference });
  const context = new DiffContext(expected, live);

  diffExtensions(context, add);
  diffEnums(context, add);
  diffSequences(context, add);
  diffTables(context, add);
  diffConstraints(context, add);
  diffIndexes(context, add);
  diffViews(context, add);
  diffFunctions(context, add);
  diffTriggers(context, add);
  diffPolicies(context, add);

  // a stable sort: within a phase, the order of the (sorted) models
  return out
    .map((entry, i) => ({ ...entry, i }))
    .sort((a, b) => a.phase - b.phase || a.i - b.i)
    .map((entry) => entry.difference);
}

type Add = (phase: number, difference: Difference) => void;

function tableKey(schema: string, name: string): string {
  return `${schema}\0${name}`;
}

/** The two models indexed for lookups. */
class DiffContext {
  readonly expectedTables: Map<string, TableModel>;
  readonly liveTables: Map<string, TableModel>;

  constructor(
    readonly expected: CatalogModel,
    readonly live: CatalogModel,
  ) {
    this.expectedTables = new Map(expected.tables.map((t) => [tableKey(t.schema, t.name), t]));
    this.liveTables = new Map(live.tables.map((t) => [tableKey(t.schema, t.name), t]));
  }

  /** A table the migrations do not have: its columns, indexes, triggers… go with its DROP TABLE. */
  extraTable(schema: string, table: string): boolean {
    const key = tableKey(schema, table);
    return this.liveTables.has(key) && !this.expectedTables.has(key);
  }

  /** A table live does not have: CREATE TABLE makes its columns. */
  missingTable(schema: string, table: string): boolean {
    const key = tableKey(schema, table);
    return this.expectedTables.has(key) && !this.liveTables.has(key);
  }

  liveColumn(schema: string, table: string, column: string): ColumnModel | undefined {
    return this.liveTables.get(tableKey(schema, table))?.columns.find((c) => c.name === column);
  }

  expectedPartitioned(schema: string, table: string): boolean {
    return this.expectedTables.get(tableKey(schema, table))?.partitioned ?? false;
  }

  /**
   * `statements` that change the type of (or drop) columns of `tables`, wrapped in the DROP VIEW
   * that PostgreSQL needs first for every live view reading them (directly or through other
   * views); the views that are the same on both sides are created again right after, the others
   * later by their own difference (CREATE OR REPLACE creates a dropped view).
   */
  aroundViews(tables: Array<{ schema: string; name: string }>, statements: string[]): string {
    const reached = new Set(tables.map((t) => `${t.schema}.${t.name}`));
    const found: ViewModel[] = [];
    for (let grew = true; grew; ) {
      grew = false;
      for (const v of this.live.views) {
        const name = `${v.schema}.${v.name}`;
        if (!reached.has(name) && v.dependsOn.some((d) => reached.has(d))) {
          reached.add(name);
          found.push(v);
          grew = true;
        }
      }
    }
    if (found.length === 0) return statements.join('\n');
    // creation order: a view after the views it reads
    const ordered: ViewModel[] = [];
    const pending = new Set(found);
    while (pending.size) {
      const names = new Set([...pending].map((v) => `${v.schema}.${v.name}`));
      const ready = [...pending].filter((v) => !v.dependsOn.some((d) => names.has(d)));
      for (const v of ready.length ? ready : [...pending]) {
        ordered.push(v);
        pending.delete(v);
      }
    }
    const same = new Set(this.expected.views.map((v) => `${v.schema}\0${v.name}\0${viewText(v)}`));
    const recreate = ordered.filter((v) => same.has(`${v.schema}\0${v.name}\0${viewText(v)}`));
    return [
      `-- the views that read ${tables.map((t) => `${t.schema}.${t.name}`).join(', ')} are dropped first`,
      ...[...ordered].reverse().map((v) => sql.dropViewSql(v, true)),
      ...statements,
      ...recreate.map((v) => sql.createViewSql(v, false)),
    ].join('\n');
  }

  /** Sequences live lacks that are owned by a column: OWNED BY is set once the column exists. */
  missingOwnedSequences(schema: string, table: string, column?: string): SequenceModel[] {
    const have = new Set(this.live.sequences.map((s) => tableKey(s.schema, s.name)));
    return this.expected.sequences.filter(
      (s) =>
        s.ownedBy &&
        !have.has(tableKey(s.schema, s.name)) &&
        s.ownedBy.schema === schema &&
        s.ownedBy.table === table &&
        (column === undefined || s.ownedBy.column === column),
    );
  }
}

/** Pairs the items of both sides by key: missing, extra, and both. */
function pair<T>(
  expected: readonly T[],
  live: readonly T[],
  key: (item: T) => string,
): { missing: T[]; extra: T[]; both: Array<[T, T]> } {
  const liveByKey = new Map(live.map((item) => [key(item), item]));
  const expectedKeys = new Set(expected.map(key));
  const both: Array<[T, T]> = [];
  const missing: T[] = [];
  for (const item of expected) {
    const other = liveByKey.get(key(item));
    if (other === undefined) missing.push(item);
    else both.push([item, other]);
  }
  return { missing, extra: live.filter((item) => !expectedKeys.has(key(item))), both };
}

const MISSING = 'missing in the live database';
const EXTRA = 'in the live database but not in the migrations';

// ---------------------------------------------------------------------------------------------
// Extensions, enums, sequences

function diffExtensions({ expected, live }: DiffContext, add: Add): void {
  const { missing, extra, both } = pair(expected.extensions, live.extensions, (e) => e.name);
  for (const e of missing) {
    add(PHASE.extension, {
      kind: 'extension',
      object: e.name,
      change: 'missing',
      detail: MISSING,
      expected: `${e.name} ${e.version} in schema ${e.schema}`,
      sql: sql.createExtensionSql(e),
    });
  }
  for (const [e, l] of both) {
    if (e.schema !== l.schema) {
      add(PHASE.extension, {
        kind: 'extension',
        object: e.name,
        change: 'different',
        detail: 'schema differs',
        expected: e.schema,
        live: l.schema,
        sql: `ALTER EXTENSION ${quoteIdent(e.name)} SET SCHEMA ${quoteIdent(e.schema)};`,
      });
    }
    if (e.version !== l.version) {
      add(PHASE.extension, {
        kind: 'extension',
        object: e.name,
        change: 'different',
        detail: 'version differs',
        expected: e.version,
        live: l.version,
        sql: `ALTER EXTENSION ${quoteIdent(e.name)} UPDATE TO ${quoteLiteral(e.version)};`,
      });
    }
  }
  for (const e of extra) {
    add(PHASE.dropExtension, {
      kind: 'extension',
      object: e.name,
      change: 'extra',
      detail: EXTRA,
      live: `${e.name} ${e.version} in schema ${e.schema}`,
      sql: `-- drops the extension's objects too\nDROP EXTENSION ${quoteIdent(e.name)};`,
    });
  }
}

function diffEnums(context: DiffContext, add: Add): void {
  const { expected, live } = context;
  const named = (e: EnumModel) => tableKey(e.schema, e.name);
  const { missing, extra, both } = pair(expected.enums, live.enums, named);
  for (const e of missing) {
    add(PHASE.enum, {
      kind: 'enum',
      object: `${e.schema}.${e.name}`,
      change: 'missing',
      detail: MISSING,
      expected: sql.enumValues(e),
      sql: sql.createEnumSql(e),
    });
  }
  for (const [e, l] of both) {
    if (e.values.join('\0') === l.values.join('\0')) continue;
    // only additions keep the live values in the expected order: ADD VALUE; else the type is made anew
    const kept = e.values.filter((v) => l.values.includes(v));
    const onlyAdded = kept.length === l.values.length && kept.every((v, i) => v === l.values[i]);
    add(PHASE.enum, {
      kind: 'enum',
      object: `${e.schema}.${e.name}`,
      change: 'different',
      detail: onlyAdded ? 'values missing in the live type' : 'values differ (extra or in another order)',
      expected: sql.enumValues(e),
      live: sql.enumValues(l),
      sql: onlyAdded
        ? sql.addEnumValuesSql(e, l)
        : context.aroundViews(
            l.usedBy.map((u) => ({ schema: u.schema, name: u.table })),
            [
              sql.recreateEnumSql(
                e,
                l,
                (schema, table, column) => context.liveColumn(schema, table, column)?.default,
              ),
            ],
          ),
    });
  }
  for (const e of extra) {
    add(PHASE.dropEnum, {
      kind: 'enum',
      object: `${e.schema}.${e.name}`,
      change: 'extra',
      detail: EXTRA,
      live: sql.enumValues(e),
      sql: `DROP TYPE ${sql.rel(e.schema, e.name)};`,
    });
  }
}

function sequenceSummary(s: SequenceModel): string {
  const owner = s.ownedBy ? `, owned by ${s.ownedBy.schema}.${s.ownedBy.table}.${s.ownedBy.column}` : '';
  return `${s.type} start ${s.start} increment ${s.increment} min ${s.min} max ${s.max} cache ${s.cache}${s.cycle ? ' cycle' : ''}${owner}`;
}

function diffSequences(context: DiffContext, add: Add): void {
  const { expected, live } = context;
  const { missing, extra, both } = pair(expected.sequences, live.sequences, (s) =>
    tableKey(s.schema, s.name),
  );
  for (const s of missing) {
    // OWNED BY needs the column: when CREATE TABLE or ADD COLUMN makes it, they set it
    const ownerExists = s.ownedBy && context.liveColumn(s.ownedBy.schema, s.ownedBy.table, s.ownedBy.column);
    add(PHASE.createSequence, {
      kind: 'sequence',
      object: `${s.schema}.${s.name}`,
      change: 'missing',
      detail: MISSING,
      expected: sequenceSummary(s),
      sql: [sql.createSequenceSql(s), ...(ownerExists ? [sql.ownedBySql(s)] : [])].join('\n'),
    });
  }
  for (const [e, l] of both) {
    const options =
      sequenceSummary({ ...e, ownedBy: undefined }) !== sequenceSummary({ ...l, ownedBy: undefined });
    const owner = JSON.stringify(e.ownedBy ?? null) !== JSON.stringify(l.ownedBy ?? null);
    if (!options && !owner) continue;
    add(PHASE.alterSequence, {
      kind: 'sequence',
      object: `${e.schema}.${e.name}`,
      change: 'different',
      detail: options ? 'options differ' : 'owner differs',
      expected: sequenceSummary(e),
      live: sequenceSummary(l),
      sql: [...(options ? [sql.alterSequenceSql(e)] : []), ...(owner ? [sql.ownedBySql(e)] : [])].join('\n'),
    });
  }
  for (const s of extra) {
    // a sequence owned by a dropped table or column goes with it
    if (s.ownedBy && (context.extraTable(s.ownedBy.schema, s.ownedBy.table) || extraColumn(context, s)))
      continue;
    add(PHASE.dropSequence, {
      kind: 'sequence',
      object: `${s.schema}.${s.name}`,
      change: 'extra',
      detail: EXTRA,
      live: sequenceSummary(s),
      sql: `DROP SEQUENCE ${sql.rel(s.schema, s.name)};`,
    });
  }
}

function extraColumn(context: DiffContext, s: SequenceModel): boolean {
  const owner = s.ownedBy!;
  const table = context.expectedTables.get(tableKey(owner.schema, owner.table));
  return table !== undefined && !table.columns.some((c) => c.name === owner.column);
}

// ---------------------------------------------------------------------------------------------
// Tables and columns

function tableSummary(t: TableModel): string {
  return t.columns.map((c) => `${c.name} ${c.type}`).join(', ');
}

function diffTables(context: DiffContext, add: Add): void {
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
      object: `${t.schema}.${t.name}`,
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
      object: `${t.schema}.${t.name}`,
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
      object: `${e.schema}.${e.name}`,
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
      ? `partition of ${t.partitionOf.schema}.${t.partitionOf.name} ${t.partitionOf.bound}`
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
  const object = (c: ColumnModel) => `${table.schema}.${table.name}.${c.name}`;
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

// ---------------------------------------------------------------------------------------------
// Constraints and indexes

function onTable(x: { schema: string; table: string; name: string }): string {
  return `${x.schema}\0${x.table}\0${x.name}`;
}

function constraintText(c: ConstraintModel): string {
  return `${c.definition}${c.validated ? '' : ' NOT VALID'}`;
}

function diffConstraints(context: DiffContext, add: Add): void {
  const local = (list: ConstraintModel[]) => list.filter((c) => !c.inherited);
  const { missing, extra, both } = pair(
    local(context.expected.constraints),
    local(context.live.constraints),
    onTable,
  );
  const object = (c: ConstraintModel) => `${c.schema}.${c.table}.${c.name}`;
  // unique keys before the foreign keys that reference them
  const createPhase = (c: ConstraintModel) =>
    c.type === 'foreign key' ? PHASE.foreignKey : PHASE.constraint;
  const addSql = (c: ConstraintModel) =>
    sql.addConstraintSql(c, context.expectedPartitioned(c.schema, c.table));
  for (const c of missing) {
    add(createPhase(c), {
      kind: 'constraint',
      object: object(c),
      change: 'missing',
      detail: MISSING,
      expected: constraintText(c),
      sql: addSql(c),
    });
  }
  for (const [e, l] of both) {
    if (e.type !== l.type || e.definition !== l.definition) {
      add(createPhase(e), {
        kind: 'constraint',
        object: object(e),
        change: 'different',
        detail: 'definition differs',
        expected: constraintText(e),
        live: constraintText(l),
        sql: `${sql.dropConstraintSql(l)}\n${addSql(e)}`,
      });
    } else if (e.validated && !l.validated) {
      add(createPhase(e), {
        kind: 'constraint',
        object: object(e),
        change: 'different',
        detail: 'not validated in the live database (NOT VALID): existing rows were never checked',
        expected: 'validated',
        live: 'NOT VALID',
        sql: `ALTER TABLE ${sql.rel(e.schema, e.table)} VALIDATE CONSTRAINT ${quoteIdent(e.name)};`,
      });
    }
    // validated in live but NOT VALID in the migrations: live is stricter, and nothing undoes a validation
  }
  for (const c of extra) {
    // a dropped table takes its constraints along, but not the foreign keys that point elsewhere
    if (context.extraTable(c.schema, c.table) && c.type !== 'foreign key') continue;
    add(c.type === 'foreign key' ? PHASE.dropForeignKey : PHASE.dropConstraint, {
      kind: 'constraint',
      object: object(c),
      change: 'extra',
      detail: EXTRA,
      live: constraintText(c),
      sql: sql.dropConstraintSql(c),
    });
  }
}

function diffIndexes(context: DiffContext, add: Add): void {
  // an index attached to a partitioned index follows its parent
  const own = (list: IndexModel[]) => list.filter((i) => !i.attached);
  const named = (i: IndexModel) => tableKey(i.schema, i.name);
  const { missing, extra, both } = pair(own(context.expected.indexes), own(context.live.indexes), named);
  const object = (i: IndexModel) => `${i.schema}.${i.name}`;
  for (const i of missing) {
    add(PHASE.index, {
      kind: 'index',
      object: object(i),
      change: 'missing',
      detail: MISSING,
      expected: i.definition,
      sql: sql.createIndexSql(i),
    });
  }
  for (const [e, l] of both) {
    if (e.definition !== l.definition) {
      add(PHASE.index, {
        kind: 'index',
        object: object(e),
        change: 'different',
        detail: 'definition differs',
        expected: e.definition,
        live: l.definition,
        sql: `${sql.dropIndexSql(l)}\n${sql.createIndexSql(e)}`,
      });
    } else if (e.valid && !l.valid) {
      add(PHASE.index, {
        kind: 'index',
        object: object(e),
        change: 'different',
        detail:
          'INVALID in the live database (a failed concurrent build): it is not used by queries, and a unique one does not enforce uniqueness',
        expected: 'valid',
        live: 'INVALID',
        sql: `${e.unique ? '-- fails while duplicate rows remain\n' : ''}REINDEX INDEX CONCURRENTLY ${sql.rel(e.schema, e.name)};`,
      });
    }
  }
  for (const i of extra) {
    if (context.extraTable(i.schema, i.table)) continue;
    add(PHASE.dropIndex, {
      kind: 'index',
      object: object(i),
      change: 'extra',
      detail: i.valid ? EXTRA : `${EXTRA} (INVALID)`,
      live: i.definition,
      sql: sql.dropIndexSql(i),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Views, functions, triggers, policies

function viewText(v: ViewModel): string {
  return `${v.materialized ? 'materialized ' : ''}${v.options.length ? `WITH (${v.options.join(', ')}) ` : ''}AS ${v.definition.trim()}`;
}

function diffViews({ expected, live }: DiffContext, add: Add): void {
  const { missing, extra, both } = pair(expected.views, live.views, (v) => tableKey(v.schema, v.name));
  const object = (v: ViewModel) => `${v.schema}.${v.name}`;
  for (const v of missing) {
    add(PHASE.view, {
      kind: 'view',
      object: object(v),
      change: 'missing',
      detail: MISSING,
      expected: viewText(v),
      sql: sql.createViewSql(v, false),
    });
  }
  for (const [e, l] of both) {
    if (viewText(e) === viewText(l)) continue;
    // a materialized view has no CREATE OR REPLACE: it is made anew (and filled)
    const recreate = e.materialized || l.materialized;
    add(PHASE.view, {
      kind: 'view',
      object: object(e),
      change: 'different',
      detail: e.materialized !== l.materialized ? 'kind differs' : 'definition differs',
      expected: viewText(e),
      live: viewText(l),
      sql: recreate
        ? `${sql.dropViewSql(l, true)}\n${sql.createViewSql(e, false)}`
        : sql.createViewSql(e, true),
    });
  }
  for (const v of extra) {
    add(PHASE.dropView, {
      kind: 'view',
      object: object(v),
      change: 'extra',
      detail: EXTRA,
      live: viewText(v),
      sql: sql.dropViewSql(v),
    });
  }
}

function diffFunctions({ expected, live }: DiffContext, add: Add): void {
  const key = (f: FunctionModel) => `${f.schema}\0${f.name}\0${f.args}`;
  const { missing, extra, both } = pair(expected.functions, live.functions, key);
  const object = (f: FunctionModel) => `${f.schema}.${f.name}(${f.args})`;
  for (const f of missing) {
    add(PHASE.function, {
      kind: 'function',
      object: object(f),
      change: 'missing',
      detail: MISSING,
      expected: f.definition,
      sql: sql.functionSql(f),
    });
  }
  for (const [e, l] of both) {
    if (e.definition === l.definition && e.kind === l.kind) continue;
    // CREATE OR REPLACE cannot change the result type or turn a function into a procedure
    const drop = e.kind !== l.kind || (e.result ?? '') !== (l.result ?? '');
    add(PHASE.function, {
      kind: 'function',
      object: object(e),
      change: 'different',
      detail: drop ? 'result type differs' : 'definition differs',
      expected: e.definition,
      live: l.definition,
      sql: drop ? `${sql.dropFunctionSql(l)}\n${sql.functionSql(e)}` : sql.functionSql(e),
    });
  }
  for (const f of extra) {
    add(PHASE.dropFunction, {
      kind: 'function',
      object: object(f),
      change: 'extra',
      detail: EXTRA,
      live: f.definition,
      sql: sql.dropFunctionSql(f),
    });
  }
}

function diffTriggers(context: DiffContext, add: Add): void {
  // a trigger cloned onto a partition follows its parent's
  const own = (list: TriggerModel[]) => list.filter((t) => !t.inherited);
  const { missing, extra, both } = pair(own(context.expected.triggers), own(context.live.triggers), onTable);
  const object = (t: TriggerModel) => `${t.schema}.${t.table}.${t.name}`;
  for (const t of missing) {
    add(PHASE.trigger, {
      kind: 'trigger',
      object: object(t),
      change: 'missing',
      detail: MISSING,
      expected: t.definition,
      sql: sql.createTriggerSql(t),
    });
  }
  for (const [e, l] of both) {
    if (e.definition !== l.definition) {
      add(PHASE.trigger, {
        kind: 'trigger',
        object: object(e),
        change: 'different',
        detail: 'definition differs',
        expected: e.definition,
        live: l.definition,
        sql: `${sql.dropTriggerSql(l)}\n${sql.createTriggerSql(e)}`,
      });
    } else if (e.enabled !== l.enabled) {
      add(PHASE.trigger, {
        kind: 'trigger',
        object: object(e),
        change: 'different',
        detail: 'enabled state differs',
        expected: e.enabled,
        live: l.enabled,
        sql: sql.triggerEnabledSql(e),
      });
    }
  }
  for (const t of extra) {
    if (context.extraTable(t.schema, t.table)) continue;
    add(PHASE.dropTrigger, {
      kind: 'trigger',
      object: object(t),
      change: 'extra',
      detail: EXTRA,
      live: t.definition,
      sql: sql.dropTriggerSql(t),
    });
  }
}

function diffPolicies(context: DiffContext, add: Add): void {
  const { missing, extra, both } = pair(context.expected.policies, context.live.policies, onTable);
  const object = (p: PolicyModel) => `${p.schema}.${p.table}.${p.name}`;
  for (const p of missing) {
    add(PHASE.policy, {
      kind: 'policy',
      object: object(p),
      change: 'missing',
      detail: MISSING,
      expected: sql.policyStatement(p),
      sql: sql.createPolicySql(p),
    });
  }
  for (const [e, l] of both) {
    if (sql.policyStatement(e) === sql.policyStatement(l)) continue;
    add(PHASE.policy, {
      kind: 'policy',
      object: object(e),
      change: 'different',
      detail: 'definition differs',
      expected: sql.policyStatement(e),
      live: sql.policyStatement(l),
      sql: `${sql.dropPolicySql(l)}\n${sql.createPolicySql(e)}`,
    });
  }
  for (const p of extra) {
    if (context.extraTable(p.schema, p.table)) continue;
    add(PHASE.dropPolicy, {
      kind: 'policy',
      object: object(p),
      change: 'extra',
      detail: EXTRA,
      live: sql.policyStatement(p),
      sql: sql.dropPolicySql(p),
    });
  }
}
