/**
 * The SQL `drift` prints to make the live database match the migrations, built from the catalog
 * model of the expected side: definitions as PostgreSQL printed them (pg_get_*def), identifiers
 * always quoted (src/sql/quote.ts). What the server printed may hold raw control characters in
 * quoted names and strings: diffCatalogs writes every statement again with sanitizeSql.
 */
import { quoteIdent, quoteLiteral, quoteQualified } from '../sql/quote.js';
import type {
  ColumnModel,
  ConstraintModel,
  EnumModel,
  ExtensionModel,
  FunctionModel,
  IndexModel,
  PolicyModel,
  SequenceModel,
  TableModel,
  TriggerEnabled,
  TriggerModel,
  ViewModel,
} from './model.js';

/** `"schema"."name"`. */
export function rel(schema: string, name: string): string {
  return quoteQualified(schema, name);
}

/** The column as it is written in CREATE TABLE and ADD COLUMN. */
export function columnDefinition(c: ColumnModel): string {
  let s = `${quoteIdent(c.name)} ${c.type}`;
  if (c.collation) s += ` COLLATE ${c.collation}`;
  if (c.generated !== undefined) s += ` GENERATED ALWAYS AS (${c.generated}) STORED`;
  else if (c.default !== undefined) s += ` DEFAULT ${c.default}`;
  if (c.identity) s += ` GENERATED ${identityWord(c.identity)} AS IDENTITY`;
  if (c.notNull) s += ' NOT NULL';
  return s;
}

export function identityWord(identity: NonNullable<ColumnModel['identity']>): string {
  return identity === 'always' ? 'ALWAYS' : 'BY DEFAULT';
}

/** CREATE TABLE with the columns only: constraints, indexes, triggers and policies come after. */
export function createTableSql(t: TableModel): string {
  const name = rel(t.schema, t.name);
  const lines: string[] = [];
  const partitionBy = t.partitionKey ? ` PARTITION BY ${t.partitionKey}` : '';
  if (t.partitionOf) {
    lines.push(
      `CREATE TABLE ${name} PARTITION OF ${rel(t.partitionOf.schema, t.partitionOf.name)} ${t.partitionOf.bound}${partitionBy};`,
    );
  } else {
    const columns = t.columns.map((c) => `  ${columnDefinition(c)}`).join(',\n');
    lines.push(
      `CREATE ${t.unlogged ? 'UNLOGGED ' : ''}TABLE ${name} (${columns ? `\n${columns}\n` : ''})${partitionBy};`,
    );
  }
  if (t.rowSecurity) lines.push(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`);
  if (t.forceRowSecurity) lines.push(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY;`);
  return lines.join('\n');
}

export function ownedBySql(s: SequenceModel): string {
  const owner = s.ownedBy
    ? `${rel(s.ownedBy.schema, s.ownedBy.table)}.${quoteIdent(s.ownedBy.column)}`
    : 'NONE';
  return `ALTER SEQUENCE ${rel(s.schema, s.name)} OWNED BY ${owner};`;
}

function sequenceOptions(s: SequenceModel): string {
  return `AS ${s.type} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache} ${s.cycle ? 'CYCLE' : 'NO CYCLE'}`;
}

export function createSequenceSql(s: SequenceModel): string {
  return `CREATE SEQUENCE ${rel(s.schema, s.name)} ${sequenceOptions(s)};`;
}

export function alterSequenceSql(s: SequenceModel): string {
  return `ALTER SEQUENCE ${rel(s.schema, s.name)} ${sequenceOptions(s)};`;
}

/** The words pg_get_indexdef starts with; its output form is fixed (ruleutils.c). */
const INDEX_PREFIXES = ['CREATE UNIQUE INDEX ', 'CREATE INDEX '];

/**
 * The index's definition with CONCURRENTLY after `CREATE [UNIQUE] INDEX`, so building it does not
 * block writes; not on a partitioned table, where PostgreSQL does not allow it.
 */
export function createIndexSql(i: IndexModel): string {
  const prefix = INDEX_PREFIXES.find((p) => i.definition.startsWith(p));
  if (!prefix) return `${i.definition};`;
  const rest = i.definition.slice(prefix.length);
  if (i.onPartitioned) {
    // pg_get_indexdef prints `ON ONLY` for a partitioned table (pg_dump then attaches each
    // partition's index); without ONLY the index is built on every partition, as CREATE INDEX did
    const end = identifierEnd(rest);
    const only = ' ON ONLY ';
    return rest.startsWith(only, end)
      ? `${prefix}${rest.slice(0, end)} ON ${rest.slice(end + only.length)};`
      : `${i.definition};`;
  }
  return `${prefix}CONCURRENTLY ${rest};`;
}

/** Where the identifier at the start of `text` ends: quote_identifier's output, quoted or bare. */
function identifierEnd(text: string): number {
  if (!text.startsWith('"')) {
    const space = text.indexOf(' ');
    return space < 0 ? text.length : space;
  }
  let i = 1;
  while (i < text.length) {
    if (text[i] === '"') {
      if (text[i + 1] === '"') i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}

export function dropIndexSql(i: IndexModel): string {
  return `DROP INDEX ${i.onPartitioned ? '' : 'CONCURRENTLY '}${rel(i.schema, i.name)};`;
}

/**
 * ADD CONSTRAINT. A validated foreign key or check is added NOT VALID and validated in a second
 * statement (SHARE UPDATE EXCLUSIVE while rows are checked, instead of ACCESS EXCLUSIVE) — except
 * on a partitioned table, where PostgreSQL before 18 refuses NOT VALID foreign keys.
 */
export function addConstraintSql(c: ConstraintModel, onPartitioned: boolean): string {
  const table = rel(c.schema, c.table);
  const add = `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`;
  if (!c.validated) return `${add} NOT VALID;`;
  if ((c.type === 'foreign key' || c.type === 'check') && !onPartitioned) {
    return `${add} NOT VALID;\nALTER TABLE ${table} VALIDATE CONSTRAINT ${quoteIdent(c.name)};`;
  }
  return `${add};`;
}

export function dropConstraintSql(c: ConstraintModel): string {
  return `ALTER TABLE ${rel(c.schema, c.table)} DROP CONSTRAINT ${quoteIdent(c.name)};`;
}

/** CREATE [OR REPLACE] [MATERIALIZED] VIEW; pg_get_viewdef's text ends with `;`. */
export function createViewSql(v: ViewModel, replace: boolean): string {
  const options = v.options.length ? ` WITH (${v.options.join(', ')})` : '';
  const kind = v.materialized ? 'MATERIALIZED VIEW' : 'VIEW';
  return `CREATE ${replace && !v.materialized ? 'OR REPLACE ' : ''}${kind} ${rel(v.schema, v.name)}${options} AS\n${v.definition.trim()}`;
}

export function dropViewSql(v: ViewModel, ifExists = false): string {
  return `DROP ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${ifExists ? 'IF EXISTS ' : ''}${rel(v.schema, v.name)};`;
}

export function functionSql(f: FunctionModel): string {
  return `${f.definition};`;
}

export function dropFunctionSql(f: FunctionModel): string {
  return `DROP ${f.kind === 'procedure' ? 'PROCEDURE' : 'FUNCTION'} ${rel(f.schema, f.name)}(${f.args});`;
}

const ENABLE_WORDS: Record<TriggerEnabled, string> = {
  origin: 'ENABLE',
  disabled: 'DISABLE',
  replica: 'ENABLE REPLICA',
  always: 'ENABLE ALWAYS',
};

export function triggerEnabledSql(t: TriggerModel): string {
  return `ALTER TABLE ${rel(t.schema, t.table)} ${ENABLE_WORDS[t.enabled]} TRIGGER ${quoteIdent(t.name)};`;
}

export function createTriggerSql(t: TriggerModel): string {
  return `${t.definition};${t.enabled === 'origin' ? '' : `\n${triggerEnabledSql(t)}`}`;
}

export function dropTriggerSql(t: TriggerModel): string {
  return `DROP TRIGGER ${quoteIdent(t.name)} ON ${rel(t.schema, t.table)};`;
}

export function enumValues(e: EnumModel): string {
  return e.values.map(quoteLiteral).join(', ');
}

export function createEnumSql(e: EnumModel): string {
  return `CREATE TYPE ${rel(e.schema, e.name)} AS ENUM (${enumValues(e)});`;
}

/** ADD VALUE for each value the live type lacks, placed next to a neighbour so the order matches. */
export function addEnumValuesSql(expected: EnumModel, live: EnumModel): string {
  const have = new Set(live.values);
  const lines: string[] = [];
  expected.values.forEach((value, i) => {
    if (have.has(value)) return;
    const before = expected.values[i - 1];
    const place =
      before !== undefined
        ? ` AFTER ${quoteLiteral(before)}`
        : expected.values[i + 1] !== undefined
          ? ` BEFORE ${quoteLiteral(expected.values[i + 1]!)}`
          : '';
    lines.push(`ALTER TYPE ${rel(expected.schema, expected.name)} ADD VALUE ${quoteLiteral(value)}${place};`);
    have.add(value);
  });
  return lines.join('\n');
}

/**
 * A type whose values were removed or reordered cannot be altered in place: it is renamed, created
 * again, every column of it converted through text, and the old type dropped. `liveDefault` gives
 * a column's default, which must be dropped around the conversion.
 */
export function recreateEnumSql(
  expected: EnumModel,
  live: EnumModel,
  liveDefault: (schema: string, table: string, column: string) => string | undefined,
): string {
  const name = rel(expected.schema, expected.name);
  const old = `${expected.name}__pgwarden_old`;
  const lines = [
    '-- fails if a row still holds a value the migrations do not have, or a view or function uses the type',
    `ALTER TYPE ${name} RENAME TO ${quoteIdent(old)};`,
    createEnumSql(expected),
  ];
  for (const u of live.usedBy) {
    const table = rel(u.schema, u.table);
    const column = quoteIdent(u.column);
    const suffix = u.array ? '[]' : '';
    const def = liveDefault(u.schema, u.table, u.column);
    if (def !== undefined) lines.push(`ALTER TABLE ${table} ALTER COLUMN ${column} DROP DEFAULT;`);
    lines.push(
      `ALTER TABLE ${table} ALTER COLUMN ${column} TYPE ${name}${suffix} USING ${column}::text${suffix}::${name}${suffix};`,
    );
    if (def !== undefined) lines.push(`ALTER TABLE ${table} ALTER COLUMN ${column} SET DEFAULT ${def};`);
  }
  lines.push(`DROP TYPE ${rel(expected.schema, old)};`);
  return lines.join('\n');
}

export function createExtensionSql(e: ExtensionModel): string {
  return `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e.name)} WITH SCHEMA ${quoteIdent(e.schema)} VERSION ${quoteLiteral(e.version)};`;
}

/** CREATE POLICY without the semicolon (also the policy's description). */
export function policyStatement(p: PolicyModel): string {
  const roles = p.roles.map((r) => (r === 'public' ? 'PUBLIC' : quoteIdent(r))).join(', ');
  let s = `CREATE POLICY ${quoteIdent(p.name)} ON ${rel(p.schema, p.table)} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${p.command} TO ${roles}`;
  if (p.using !== undefined) s += ` USING (${p.using})`;
  if (p.withCheck !== undefined) s += ` WITH CHECK (${p.withCheck})`;
  return s;
}

export function createPolicySql(p: PolicyModel): string {
  return `${policyStatement(p)};`;
}

export function dropPolicySql(p: PolicyModel): string {
  return `DROP POLICY ${quoteIdent(p.name)} ON ${rel(p.schema, p.table)};`;
}
