/**
 * What `pgwarden fix` reads of the live columns for the recipes that build a column anew beside
 * an existing one (RENAME COLUMN, a type change that rewrites): its type, NOT NULL, default, the
 * sequence it owns, and whether anything else depends on it (then the recipe declines: an index,
 * a constraint, a view or a trigger would have to be built again on the new column first).
 */
import type pg from 'pg';
import type { SchemaModel } from '../analysis/schema-model.js';
import { formatType } from '../analysis/types.js';

export interface ColumnFacts {
  type: string;
  notNull: boolean;
  default: string | undefined;
  /** indexes, constraints, views, triggers, policies or statistics use it */
  usedByConstraints: boolean;
  /** an identity or generated column: its values are not the app's to write */
  identityOrGenerated: boolean;
  /** the sequence it owns (serial), qualified and quoted as PostgreSQL prints it */
  ownedSequence: string | undefined;
}

export type ColumnLookup = (
  schema: string | undefined,
  table: string,
  column: string,
) => ColumnFacts | undefined;

/** The live columns of the user's tables, looked up as the search path resolves unqualified names. */
export async function columnLookup(client: pg.Client): Promise<ColumnLookup> {
  const { rows } = await client.query(
    `SELECT n.nspname AS schema, c.relname AS "table", a.attname AS column,
            format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS "default",
            a.attidentity <> '' OR a.attgenerated <> '' AS identity_or_generated,
            (SELECT s.oid::regclass::text FROM pg_depend o JOIN pg_class s ON s.oid = o.objid AND s.relkind = 'S'
              WHERE o.classid = 'pg_class'::regclass AND o.refobjid = c.oid AND o.refobjsubid = a.attnum
                AND o.deptype = 'a' LIMIT 1) AS owned_sequence,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey))
              OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND a.attnum = ANY (k.conkey))
              OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.confrelid = c.oid AND a.attnum = ANY (k.confkey))
              OR EXISTS (SELECT 1 FROM pg_depend u
                          WHERE u.refclassid = 'pg_class'::regclass AND u.refobjid = c.oid AND u.refobjsubid = a.attnum
                            AND u.classid IN ('pg_rewrite'::regclass, 'pg_trigger'::regclass,
                                              'pg_policy'::regclass, 'pg_statistic_ext'::regclass)) AS used
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
  );
  const { rows: path } = await client.query('SELECT current_schemas(false)::text[] AS schemas');
  const searched: string[] = path[0].schemas;
  return (schema, table, column) => {
    const candidates = rows.filter((r) => r.table === table && r.column === column);
    const row = schema
      ? candidates.find((r) => r.schema === schema)
      : searched.map((s) => candidates.find((r) => r.schema === s)).find(Boolean);
    if (!row) return undefined;
    return {
      type: row.type,
      notNull: row.not_null,
      default: row.default ?? undefined,
      usedByConstraints: row.used,
      identityOrGenerated: row.identity_or_generated,
      ownedSequence: row.owned_sequence ?? undefined,
    };
  };
}

/** Why a column cannot be built anew beside itself (RENAME COLUMN, type change), if it cannot. */
export function cannotRebuild(
  facts: ColumnFacts | undefined,
  table: string,
  column: string,
): string | undefined {
  if (!facts) return `column ${table}.${column} is not in the database yet`;
  if (facts.identityOrGenerated)
    return `column ${table}.${column} is an identity or generated column, whose values the database writes`;
  if (facts.usedByConstraints)
    return `column ${table}.${column} is used by an index, constraint, view, trigger or policy, which would have to be built again on the new column first`;
  return undefined;
}

/**
 * The columns as a lint schema model knows them (no database: the rule docs' examples, from their
 * `before` SQL). Defaults, identity and owned sequences are not modelled: columns are taken as
 * having none.
 */
export function modelColumnLookup(model: SchemaModel): ColumnLookup {
  return (schema, table, column) => {
    const facts = model.table({ schema, name: table });
    const type = facts?.columns.get(column)?.type;
    if (!facts || !type) return undefined;
    const used =
      facts.constraints.some((c) => c.columns.includes(column)) ||
      [...model.indexes.values()].some(
        (i) => i.table === facts.name && i.schema === facts.schema && i.columns.includes(column),
      );
    return {
      type: formatType(type),
      notNull: facts.columns.get(column)!.notNull,
      default: undefined,
      usedByConstraints: used,
      identityOrGenerated: false,
      ownedSequence: undefined,
    };
  };
}
