/**
 * What pgwarden's runner does with a migration file's own transaction control — one definition,
 * used by the runner (src/migrate/steps.ts) and by lint's model of it (the transaction tracker
 * and `transaction-nesting`), so that the two always agree:
 * - BEGIN, START TRANSACTION and COMMIT (without AND CHAIN) are not run: the runner's
 *   transactions replace them;
 * - savepoints run;
 * - anything else (ROLLBACK, COMMIT AND CHAIN, PREPARE TRANSACTION…) is refused before the
 *   migration starts.
 */

const DROPPED = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT']);
const SAVEPOINTS = new Set(['TRANS_STMT_SAVEPOINT', 'TRANS_STMT_RELEASE', 'TRANS_STMT_ROLLBACK_TO']);

/** A TransactionStmt node the runner does not run. */
export function runnerDrops(node: any): boolean {
  return DROPPED.has(node.kind) && node.chain !== true;
}

/** A TransactionStmt node the runner runs as written (a savepoint). */
export function runnerRuns(node: any): boolean {
  return SAVEPOINTS.has(node.kind);
}
