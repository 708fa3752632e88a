/**
 * Before a `CREATE INDEX` that runs alone (CONCURRENTLY): what an earlier, interrupted run may
 * have left under the statement's index name, in the namespace of the statement's table.
 * - an INVALID index (a failed or cancelled concurrent build) is dropped, so the build is retried
 *   (even `IF NOT EXISTS` would otherwise keep the broken index);
 * - a VALID index with the same definition is the statement's own work, finished before its
 *   progress could be recorded: the statement counts as done;
 * - a VALID index with another definition is an error showing both (unless the statement says
 *   `IF NOT EXISTS`, whose author asked PostgreSQL to keep an existing index).
 *
 * Definitions are compared as parse trees (libpg-query) of `pg_get_indexdef()` and the statement,
 * after removing what legitimately differs: the index name, CONCURRENTLY, IF NOT EXISTS, the
 * table's schema qualification (checked separately), default sort orders, the spelling of option
 * values, and parse locations. Expressions PostgreSQL prints differently (added casts) do not
 * match, so such an index counts as different: the safe side.
 */
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { parseSql } from '../sql/parser.js';
import { displayQualified, quoteQualified } from '../sql/quote.js';
import type { Step } from './steps.js';

export interface ExistingIndex {
  /** `schema.name` for people (displayQualified: quoted where needed, control characters escaped). */
  name: string;
  /** The same, as SQL (quoteQualified). */
  sql: string;
  valid: boolean;
  /** `pg_get_indexdef()`. */
  definition: string;
}

export type IndexCheck =
  | { action: 'build'; dropped: string[] }
  | { action: 'done'; index: string }
  | { action: 'conflict'; index: ExistingIndex };

/** Looks at what exists under the index name of `step` (a CREATE INDEX), dropping INVALID leftovers. */
export async function checkExistingIndex(client: pg.Client, step: Step): Promise<IndexCheck> {
  const node = step.node;
  if (step.kind !== 'IndexStmt' || !node?.idxname || !node.relation?.relname)
    return { action: 'build', dropped: [] };
  const { rows: found } = await client.query<{
    schema: string;
    relname: string;
    valid: boolean;
    definition: string;
  }>(
    `SELECT n.nspname AS schema, c.relname, i.indisvalid AS valid, pg_get_indexdef(c.oid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1
        AND c.relnamespace = (SELECT relnamespace FROM pg_class
                               WHERE oid = to_regclass(CASE WHEN $2::text IS NULL THEN format('%I', $3::text)
                                                            ELSE format('%I.%I', $2::text, $3::text) END))`,
    [node.idxname, node.relation.schemaname ?? null, node.relation.relname],
  );
  const rows: ExistingIndex[] = found.map((r) => ({
    name: displayQualified(r.schema, r.relname),
    sql: quoteQualified(r.schema, r.relname),
    valid: r.valid,
    definition: r.definition,
  }));
  const dropped: string[] = [];
  for (const index of rows) {
    if (!index.valid) {
      await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index.sql}`);
      dropped.push(index.name);
    } else if (sameIndexDefinition(node, index.definition)) {
      return { action: 'done', index: index.name };
    } else if (node.if_not_exists !== true) {
      return { action: 'conflict', index };
    }
  }
  return { action: 'build', dropped };
}

/** Whether `definition` (as `pg_get_indexdef()` prints it) builds the index the IndexStmt `statement` asks for. */
export function sameIndexDefinition(statement: any, definition: string): boolean {
  const parsed = parseSql(definition);
  if ('error' in parsed) return false;
  const existing = parsed.stmts[0]?.stmt?.IndexStmt;
  if (!existing) return false;
  const schema = statement.relation?.schemaname;
  if (schema !== undefined && schema !== existing.relation?.schemaname) return false;
  return isDeepStrictEqual(comparable(statement), comparable(existing));
}

function comparable(node: any): unknown {
  const { idxname, concurrent, if_not_exists, ...rest } = withoutLocations(node) as Record<string, any>;
  const relation = { ...rest.relation };
  delete relation.schemaname;
  return {
    ...rest,
    relation,
    accessMethod: rest.accessMethod ?? 'btree',
    indexParams: (rest.indexParams ?? []).map(sortDefaults),
    indexIncludingParams: (rest.indexIncludingParams ?? []).map(sortDefaults),
    options: (rest.options ?? []).map(optionAsText),
  };
}

/** `ASC`, `ASC NULLS LAST` and `DESC NULLS FIRST` are the defaults PostgreSQL does not print. */
function sortDefaults(param: any): unknown {
  const elem = param?.IndexElem;
  if (!elem) return param;
  const ordering = elem.ordering === 'SORTBY_ASC' ? 'SORTBY_DEFAULT' : elem.ordering;
  const defaultNulls = ordering === 'SORTBY_DESC' ? 'SORTBY_NULLS_FIRST' : 'SORTBY_NULLS_LAST';
  const nulls = elem.nulls_ordering === defaultNulls ? 'SORTBY_NULLS_DEFAULT' : elem.nulls_ordering;
  return { IndexElem: { ...elem, ordering, nulls_ordering: nulls } };
}

/** `WITH (fillfactor = 70)` and PostgreSQL's `WITH (fillfactor='70')` are the same option. */
function optionAsText(option: any): unknown {
  const def = option?.DefElem;
  if (!def) return option;
  const arg = def.arg ?? {};
  const value = arg.String?.sval ?? arg.Integer?.ival ?? arg.Float?.fval ?? arg.Boolean?.boolval;
  return { name: def.defname, value: value === undefined ? arg : String(value) };
}

function withoutLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLocations);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'location')
      .map(([key, inner]) => [key, withoutLocations(inner)]),
  );
}
