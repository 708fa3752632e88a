/**
 * Syntax that a PostgreSQL major accepts only from some version on, as data: what it is, the
 * first major that accepts it, how to find it in the parse tree (libpg-query parses with the
 * newest grammar, so an older server's refusal is not a parse error here) and an example that an
 * older server refuses — test/lint/version-syntax.test.ts runs every example on the test server
 * (PostgreSQL 15): accepted from 15 on, refused when newer. Sources: the release notes of
 * PostgreSQL 15 (MERGE, NULLS NOT DISTINCT), 16 (subquery in FROM without an alias, SQL/JSON
 * constructors and IS JSON) and 17 (JSON_TABLE, SQL/JSON query functions, MERGE … RETURNING and
 * WHEN NOT MATCHED BY SOURCE).
 */
import { forEachNode } from '../analysis/names.js';

export interface VersionedSyntax {
  id: string;
  /** What it is, as the message names it. */
  what: string;
  /** The first major that accepts it. */
  since: number;
  /** Whether a parse-tree node of type `type` is this syntax. */
  matches(type: string, node: any): boolean;
  /** SQL an older server refuses (run against `CREATE TABLE t (id int PRIMARY KEY, a int)`). */
  example: string;
}

export const VERSIONED_SYNTAX: readonly VersionedSyntax[] = [
  {
    id: 'merge',
    what: 'MERGE',
    since: 15,
    matches: (type) => type === 'MergeStmt',
    example: 'MERGE INTO t USING t AS s ON t.id = s.id WHEN MATCHED THEN DELETE',
  },
  {
    id: 'nulls-not-distinct',
    what: 'NULLS NOT DISTINCT',
    since: 15,
    matches: (type, node) =>
      (type === 'IndexStmt' || type === 'Constraint') && node.nulls_not_distinct === true,
    example: 'CREATE UNIQUE INDEX t_a_key ON t (a) NULLS NOT DISTINCT',
  },
  {
    id: 'subquery-without-alias',
    what: 'a subquery in FROM without an alias',
    since: 16,
    matches: (type, node) => type === 'RangeSubselect' && !node.alias,
    example: 'SELECT * FROM (SELECT 1)',
  },
  {
    id: 'is-json',
    what: 'IS JSON',
    since: 16,
    matches: (type) => type === 'JsonIsPredicate',
    example: "SELECT '{}' IS JSON",
  },
  {
    id: 'json-constructors',
    what: 'the SQL/JSON constructors (JSON_OBJECT, JSON_ARRAY, JSON_OBJECTAGG, JSON_ARRAYAGG)',
    since: 16,
    matches: (type) =>
      type === 'JsonObjectConstructor' ||
      type === 'JsonArrayConstructor' ||
      type === 'JsonArrayQueryConstructor' ||
      type === 'JsonObjectAgg' ||
      type === 'JsonArrayAgg',
    example: "SELECT JSON_OBJECT('a': 1)",
  },
  {
    id: 'json-table',
    what: 'JSON_TABLE',
    since: 17,
    matches: (type) => type === 'JsonTable',
    example: "SELECT * FROM JSON_TABLE('[]'::jsonb, '$[*]' COLUMNS (a int PATH '$.a')) AS jt",
  },
  {
    id: 'json-query-functions',
    what: 'the SQL/JSON query functions (JSON_EXISTS, JSON_QUERY, JSON_VALUE) and JSON(), JSON_SCALAR(), JSON_SERIALIZE()',
    since: 17,
    matches: (type) =>
      type === 'JsonFuncExpr' ||
      type === 'JsonParseExpr' ||
      type === 'JsonScalarExpr' ||
      type === 'JsonSerializeExpr',
    example: "SELECT JSON_VALUE('{\"a\": 1}'::jsonb, '$.a')",
  },
  {
    id: 'merge-returning',
    what: 'MERGE … RETURNING',
    since: 17,
    matches: (type, node) =>
      type === 'MergeStmt' && ((node.returningClause?.exprs ?? node.returningList)?.length ?? 0) > 0,
    example: 'MERGE INTO t USING t AS s ON t.id = s.id WHEN MATCHED THEN DELETE RETURNING t.id',
  },
  {
    id: 'merge-not-matched-by-source',
    what: 'MERGE … WHEN NOT MATCHED BY SOURCE',
    since: 17,
    matches: (type, node) =>
      type === 'MergeWhenClause' && node.matchKind === 'MERGE_WHEN_NOT_MATCHED_BY_SOURCE',
    example: 'MERGE INTO t USING t AS s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE',
  },
];

/** The syntax `pgMajor` refuses, once per major (most runs lint for one). */
const refusedBy = new Map<number, readonly VersionedSyntax[]>();

/** The versioned syntax a statement's parse tree uses that `pgMajor` does not accept. */
export function syntaxTooNew(root: unknown, pgMajor: number): VersionedSyntax[] {
  let refused = refusedBy.get(pgMajor);
  if (!refused) {
    refused = VERSIONED_SYNTAX.filter((syntax) => pgMajor < syntax.since);
    refusedBy.set(pgMajor, refused);
  }
  if (refused.length === 0) return [];
  const found = new Set<VersionedSyntax>();
  forEachNode(root, (type, node) => {
    for (const syntax of refused) if (syntax.matches(type, node)) found.add(syntax);
  });
  return [...found];
}
