/**
 * Column types as PostgreSQL stores them (internal name + typmod) and which type changes keep
 * the data as it is (binary-coercible, no rewrite). Types come either from a CREATE/ALTER TABLE
 * in the SQL (via the AST) or from the live catalog (pg_type.typname + atttypmod).
 */
import { intConst, stringList } from './names.js';

export interface ColumnType {
  /** Internal type name (`int4`, `varchar`, `timestamptz`, …) or the user type's name. */
  name: string;
  schema: string | undefined;
  /** PostgreSQL's typmod (-1 when none). */
  typmod: number;
  arrayDims: number;
}

const ALIASES: Record<string, string> = {
  int: 'int4',
  integer: 'int4',
  int4: 'int4',
  bigint: 'int8',
  int8: 'int8',
  smallint: 'int2',
  int2: 'int2',
  boolean: 'bool',
  bool: 'bool',
  real: 'float4',
  float4: 'float4',
  'double precision': 'float8',
  float8: 'float8',
  decimal: 'numeric',
  numeric: 'numeric',
  'character varying': 'varchar',
  varchar: 'varchar',
  bpchar: 'bpchar',
  'timestamp without time zone': 'timestamp',
  timestamp: 'timestamp',
  'timestamp with time zone': 'timestamptz',
  timestamptz: 'timestamptz',
  'time without time zone': 'time',
  time: 'time',
  'time with time zone': 'timetz',
  timetz: 'timetz',
  'bit varying': 'varbit',
  varbit: 'varbit',
  bit: 'bit',
  serial: 'serial4',
  serial4: 'serial4',
  bigserial: 'serial8',
  serial8: 'serial8',
  smallserial: 'serial2',
  serial2: 'serial2',
};

export const SERIAL_TYPES: Record<string, string> = { serial2: 'int2', serial4: 'int4', serial8: 'int8' };

/** The type of a TypeName AST node. */
export function typeFromAst(typeName: any): ColumnType {
  const tn = typeName?.TypeName ?? typeName;
  const parts = stringList(tn?.names);
  const rawName = (parts.at(-1) ?? 'unknown').toLowerCase();
  const schema = parts.length > 1 ? parts.at(-2) : undefined;
  const builtin = schema === undefined || schema === 'pg_catalog';
  let name = builtin ? (ALIASES[rawName] ?? rawName) : rawName;
  // The grammar spells CHAR(n) / CHARACTER(n) as pg_catalog.bpchar; a type literally named
  // `char` (`"char"`, pg_catalog."char") is the one-byte internal type.
  if (rawName === 'char' && builtin) name = 'char';
  const mods = (tn?.typmods ?? []).map((m: any) => intConst(m));
  if (
    name === 'float8' &&
    schema === 'pg_catalog' &&
    rawName === 'float8' &&
    mods[0] !== undefined &&
    mods[0] <= 24
  ) {
    name = 'float4';
  }
  return {
    name,
    schema: builtin ? undefined : schema,
    typmod: encodeTypmod(name, mods),
    arrayDims: Array.isArray(tn?.arrayBounds) ? tn.arrayBounds.length : 0,
  };
}

/** The type of a catalog column: pg_type.typname (arrays: `_elem`), atttypmod and attndims. */
export function typeFromCatalog(typname: string, typmod: number, schema?: string): ColumnType {
  const isArray = typname.startsWith('_');
  const name = isArray ? typname.slice(1) : typname;
  return {
    name,
    schema: schema === 'pg_catalog' ? undefined : schema,
    typmod,
    arrayDims: isArray ? 1 : 0,
  };
}

function encodeTypmod(name: string, mods: (number | undefined)[]): number {
  if (mods.length === 0 || mods.some((m) => m === undefined)) return -1;
  const [a, b] = mods as number[];
  switch (name) {
    case 'varchar':
    case 'bpchar':
      return a! + 4;
    case 'numeric':
      return ((a! << 16) | (b ?? 0)) + 4;
    case 'timestamp':
    case 'timestamptz':
    case 'time':
    case 'timetz':
    case 'bit':
    case 'varbit':
      return a!;
    default:
      return -1;
  }
}

/** The names people write for internal type names. */
const DISPLAY_NAMES: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  bpchar: 'char',
};

/** `varchar(20)`, `numeric(12,2)`, `timestamptz`, `bigint[]`… */
export function formatType(type: ColumnType): string {
  const mod = type.typmod;
  const name = type.schema ? type.name : (DISPLAY_NAMES[type.name] ?? type.name);
  let base = type.schema ? `${type.schema}.${name}` : name;
  if (mod >= 0) {
    if (type.name === 'varchar' || type.name === 'bpchar') base += `(${mod - 4})`;
    else if (type.name === 'numeric') base += `(${((mod - 4) >> 16) & 0xffff},${(mod - 4) & 0xffff})`;
    else base += `(${mod})`;
  }
  return base + '[]'.repeat(type.arrayDims);
}

export interface TypeChange {
  /** Whether the table (and its indexes) are rewritten. `unless-utc`: only when TimeZone isn't UTC. */
  rewrite: 'no' | 'yes' | 'unless-utc';
  /** Why, in a few words. */
  reason: string;
}

const PRECISION_TYPES = new Set(['timestamp', 'timestamptz', 'time', 'timetz', 'interval']);
const TEXTLIKE = new Set(['text', 'varchar']);

/**
 * Whether changing a column from one type to another rewrites the table, following
 * PostgreSQL's rules for binary-coercible casts and length/precision changes (ATColumnChangeRequiresRewrite).
 */
export function typeChange(from: ColumnType, to: ColumnType, pgMajor: number): TypeChange {
  if (from.arrayDims !== to.arrayDims) return { rewrite: 'yes', reason: 'array dimensions change' };
  const same = from.name === to.name && (from.schema ?? '') === (to.schema ?? '');
  if (same && from.typmod === to.typmod) return { rewrite: 'no', reason: 'the type does not change' };
  const wider = to.typmod === -1 || (from.typmod !== -1 && to.typmod >= from.typmod);
  if (same && (to.name === 'varchar' || to.name === 'varbit')) {
    return wider
      ? { rewrite: 'no', reason: 'the length limit grows or is removed' }
      : { rewrite: 'yes', reason: 'the length limit shrinks, so every value is checked and rewritten' };
  }
  if (same && to.name === 'numeric') {
    if (to.typmod === -1) return { rewrite: 'no', reason: 'the precision limit is removed' };
    if (from.typmod !== -1) {
      const scaleFrom = (from.typmod - 4) & 0xffff;
      const scaleTo = (to.typmod - 4) & 0xffff;
      if (scaleFrom === scaleTo && to.typmod >= from.typmod) {
        return { rewrite: 'no', reason: 'the precision grows at the same scale' };
      }
    }
    return { rewrite: 'yes', reason: 'the scale or precision shrinks or changes' };
  }
  if (same && PRECISION_TYPES.has(to.name)) {
    return wider
      ? { rewrite: 'no', reason: 'the fractional-second precision grows or is removed' }
      : { rewrite: 'yes', reason: 'the precision shrinks, so every value is rounded' };
  }
  if (from.name === 'varchar' && to.name === 'text')
    return { rewrite: 'no', reason: 'varchar → text is binary-coercible' };
  if (from.name === 'text' && to.name === 'varchar' && to.typmod === -1) {
    return { rewrite: 'no', reason: 'text → varchar without a limit is binary-coercible' };
  }
  if (from.name === 'cidr' && to.name === 'inet')
    return { rewrite: 'no', reason: 'cidr → inet is binary-coercible' };
  if (
    (from.name === 'citext' && TEXTLIKE.has(to.name) && to.typmod === -1) ||
    (TEXTLIKE.has(from.name) && to.name === 'citext')
  ) {
    return {
      rewrite: 'no',
      reason: 'citext and text are binary-coercible (indexes on the column are rebuilt)',
    };
  }
  const tz = new Set([from.name, to.name]);
  if (
    tz.has('timestamp') &&
    tz.has('timestamptz') &&
    from.name !== to.name &&
    (to.typmod === -1 || to.typmod >= from.typmod)
  ) {
    return pgMajor >= 12
      ? {
          rewrite: 'unless-utc',
          reason: 'timestamp ↔ timestamptz keeps the data only when the session TimeZone is UTC',
        }
      : { rewrite: 'yes', reason: 'timestamp ↔ timestamptz rewrites before PostgreSQL 12' };
  }
  return { rewrite: 'yes', reason: `${formatType(from)} → ${formatType(to)} converts every value` };
}

/** Types that some other type can reach without a rewrite (used when the old type is unknown). */
export function mayBeCoercibleTarget(to: ColumnType): boolean {
  return (
    ['text', 'varchar', 'numeric', 'varbit', 'inet', 'citext', 'timestamptz', 'timestamp'].includes(
      to.name,
    ) || PRECISION_TYPES.has(to.name)
  );
}
