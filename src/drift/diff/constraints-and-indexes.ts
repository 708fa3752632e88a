/**
 * Differences of constraints (and whether they are validated) and indexes (and whether they are valid).
 */
import { displayQualified, quoteIdent } from '../../sql/quote.js';
import type { ConstraintModel, IndexModel } from '../model.js';
import * as sql from '../sql.js';
import { type Add, type DiffContext, EXTRA, MISSING, PHASE, pair, tableKey } from './context.js';

export function onTable(x: { schema: string; table: string; name: string }): string {
  return `${x.schema}\0${x.table}\0${x.name}`;
}

function constraintText(c: ConstraintModel): string {
  return `${c.definition}${c.validated ? '' : ' NOT VALID'}`;
}

export function diffConstraints(context: DiffContext, add: Add): void {
  const local = (list: ConstraintModel[]) => list.filter((c) => !c.inherited);
  const { missing, extra, both } = pair(
    local(context.expected.constraints),
    local(context.live.constraints),
    onTable,
  );
  const object = (c: ConstraintModel) => displayQualified(c.schema, c.table, c.name);
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

export function diffIndexes(context: DiffContext, add: Add): void {
  // an index attached to a partitioned index follows its parent
  const own = (list: IndexModel[]) => list.filter((i) => !i.attached);
  const named = (i: IndexModel) => tableKey(i.schema, i.name);
  const { missing, extra, both } = pair(own(context.expected.indexes), own(context.live.indexes), named);
  const object = (i: IndexModel) => displayQualified(i.schema, i.name);
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
