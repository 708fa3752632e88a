/**
 * Differences of extensions, enum types and sequences.
 */
import { displayIdent, displayQualified, quoteIdent, quoteLiteral } from '../../sql/quote.js';
import type { EnumModel, SequenceModel } from '../model.js';
import * as sql from '../sql.js';
import { type Add, type DiffContext, EXTRA, MISSING, PHASE, pair, tableKey } from './context.js';

export function diffExtensions({ expected, live }: DiffContext, add: Add): void {
  const { missing, extra, both } = pair(expected.extensions, live.extensions, (e) => e.name);
  for (const e of missing) {
    add(PHASE.extension, {
      kind: 'extension',
      object: displayIdent(e.name),
      change: 'missing',
      detail: MISSING,
      expected: `${displayIdent(e.name)} ${e.version} in schema ${displayIdent(e.schema)}`,
      sql: sql.createExtensionSql(e),
    });
  }
  for (const [e, l] of both) {
    if (e.schema !== l.schema) {
      add(PHASE.extension, {
        kind: 'extension',
        object: displayIdent(e.name),
        change: 'different',
        detail: 'schema differs',
        expected: displayIdent(e.schema),
        live: displayIdent(l.schema),
        sql: `ALTER EXTENSION ${quoteIdent(e.name)} SET SCHEMA ${quoteIdent(e.schema)};`,
      });
    }
    if (e.version !== l.version) {
      add(PHASE.extension, {
        kind: 'extension',
        object: displayIdent(e.name),
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
      object: displayIdent(e.name),
      change: 'extra',
      detail: EXTRA,
      live: `${displayIdent(e.name)} ${e.version} in schema ${displayIdent(e.schema)}`,
      sql: `-- drops the extension's objects too\nDROP EXTENSION ${quoteIdent(e.name)};`,
    });
  }
}

export function diffEnums(context: DiffContext, add: Add): void {
  const { expected, live } = context;
  const named = (e: EnumModel) => tableKey(e.schema, e.name);
  const { missing, extra, both } = pair(expected.enums, live.enums, named);
  for (const e of missing) {
    add(PHASE.enum, {
      kind: 'enum',
      object: displayQualified(e.schema, e.name),
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
      object: displayQualified(e.schema, e.name),
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
      object: displayQualified(e.schema, e.name),
      change: 'extra',
      detail: EXTRA,
      live: sql.enumValues(e),
      sql: `DROP TYPE ${sql.rel(e.schema, e.name)};`,
    });
  }
}

function sequenceSummary(s: SequenceModel): string {
  const owner = s.ownedBy
    ? `, owned by ${displayQualified(s.ownedBy.schema, s.ownedBy.table, s.ownedBy.column)}`
    : '';
  return `${s.type} start ${s.start} increment ${s.increment} min ${s.min} max ${s.max} cache ${s.cache}${s.cycle ? ' cycle' : ''}${owner}`;
}

export function diffSequences(context: DiffContext, add: Add): void {
  const { expected, live } = context;
  const { missing, extra, both } = pair(expected.sequences, live.sequences, (s) =>
    tableKey(s.schema, s.name),
  );
  for (const s of missing) {
    // OWNED BY needs the column: when CREATE TABLE or ADD COLUMN makes it, they set it
    const ownerExists = s.ownedBy && context.liveColumn(s.ownedBy.schema, s.ownedBy.table, s.ownedBy.column);
    add(PHASE.createSequence, {
      kind: 'sequence',
      object: displayQualified(s.schema, s.name),
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
      object: displayQualified(e.schema, e.name),
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
      object: displayQualified(s.schema, s.name),
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
