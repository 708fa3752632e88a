/**
 * CREATE INDEX, DROP INDEX and REINDEX made CONCURRENTLY: writes go on while the index is built
 * or dropped. PostgreSQL refuses CONCURRENTLY in a transaction block, so each is a migration of
 * its own; DROP INDEX CONCURRENTLY takes one index at a time.
 */
import type { Piece, RecipeInput } from '../recipe.js';
import { StatementText } from '../statement-text.js';
import { ident, subject } from './names.js';

export function indexPieces({ stmt, node, text }: RecipeInput): Piece[] | undefined {
  if (stmt.kind === 'IndexStmt' && !node.concurrent) {
    const sql = text.withKeywordAfter('index', 'CONCURRENTLY');
    if (!sql) return undefined;
    return [
      {
        phase: 'index',
        sql: `${sql};`,
        ...(node.idxname ? { down: `DROP INDEX CONCURRENTLY IF EXISTS ${ident(node.idxname)};` } : {}),
        why: 'builds the index without blocking writes (CONCURRENTLY cannot run in a transaction: a migration of its own)',
        subject: subject(node.idxname ?? node.relation?.relname ?? 'index'),
      },
    ];
  }
  if (stmt.kind === 'DropStmt' && node.removeType === 'OBJECT_INDEX' && !node.concurrent) {
    if (node.behavior === 'DROP_CASCADE') return undefined;
    return (node.objects as any[]).map((object) => {
      const parts = object.List.items.map((i: any) => ident(i.String.sval as string));
      return {
        phase: 'index' as const,
        sql: `DROP INDEX CONCURRENTLY ${node.missing_ok ? 'IF EXISTS ' : ''}${parts.join('.')};`,
        why: 'drops the index without blocking reads and writes of its table (a migration of its own)',
        subject: subject('drop', parts.at(-1)!.replaceAll('"', '')),
      };
    });
  }
  if (stmt.kind === 'ReindexStmt' && ['REINDEX_OBJECT_INDEX', 'REINDEX_OBJECT_TABLE'].includes(node.kind)) {
    const concurrent = (node.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently');
    if (concurrent) return undefined;
    const word = node.kind === 'REINDEX_OBJECT_INDEX' ? 'index' : 'table';
    const sql = new StatementText(text.text).withKeywordAfter(word, 'CONCURRENTLY');
    if (!sql) return undefined;
    return [
      {
        phase: 'index',
        sql: `${sql};`,
        why: 'rebuilds without blocking writes (a migration of its own)',
        subject: subject('reindex', node.relation?.relname ?? 'index'),
      },
    ];
  }
  return undefined;
}
