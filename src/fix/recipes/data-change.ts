/**
 * An UPDATE in the same transaction as DDL that took ACCESS EXCLUSIVE: moved to a backfill of its
 * own, run in batches after the DDL has committed (when a batch can repeat it: see
 * update-statement.ts).
 */
import { readBackfillUpdate } from '../../backfill/update-statement.js';
import type { Piece, RecipeInput } from '../recipe.js';
import { subject } from './names.js';

export function dataChangePieces({ stmt, node }: RecipeInput): Piece[] | undefined {
  if (stmt.kind !== 'UpdateStmt') return undefined;
  try {
    readBackfillUpdate(stmt.text);
  } catch {
    return undefined;
  }
  return [
    {
      phase: 'backfill',
      sql: `-- pgwarden:backfill\n${stmt.text};`,
      why: 'runs after the schema change has committed, in batches of short transactions: the table is never locked for the whole data change',
      subject: subject(node.relation.relname),
    },
  ];
}
