/**
 * What the catalog diff shares: the Difference type, the phases that order the differences' SQL,
 * the models indexed for lookups (DiffContext), pair(), and the texts every kind of object uses.
 */
import { displayQualified, sqlComment } from '../../sql/quote.js';
import type { CatalogModel, ColumnModel, SequenceModel, TableModel, ViewModel } from '../model.js';
import * as sql from '../sql.js';

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
export const PHASE = {
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

export const DROPS_DATA = '-- drops the data it holds';

export type Add = (phase: number, difference: Difference) => void;

export function tableKey(schema: string, name: string): string {
  return `${schema}\0${name}`;
}

/** The two models indexed for lookups. */
export class DiffContext {
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
      sqlComment(
        `the views that read ${tables.map((t) => displayQualified(t.schema, t.name)).join(', ')} are dropped first`,
      ),
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
export function pair<T>(
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

export const MISSING = 'missing in the live database';
export const EXTRA = 'in the live database but not in the migrations';

export function viewText(v: ViewModel): string {
  return `${v.materialized ? 'materialized ' : ''}${v.options.length ? `WITH (${v.options.join(', ')}) ` : ''}AS ${v.definition.trim()}`;
}
