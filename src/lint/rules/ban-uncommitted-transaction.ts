import type { Statement } from '../../sql/statement.js';
import { defineRule, type FileEndContext } from '../rule.js';

interface State {
  /** The file's BEGIN (or COMMIT AND CHAIN) whose transaction is still open. */
  open: Statement | undefined;
  /** The file has a statement PostgreSQL refuses in a transaction block (Flyway then runs it without one). */
  nonTransactional: boolean;
}

export const rule = defineRule({
  id: 'ban-uncommitted-transaction',
  title: 'BEGIN without COMMIT',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'A BEGIN with no COMMIT (or ROLLBACK) by the end of the file leaves the transaction open. Nothing commits it: when the session ends, PostgreSQL rolls it back and every change made after the BEGIN is silently lost, although the migration tool may record the migration as applied; until then the transaction holds all its locks. When the file is sent as one query string, the open transaction also swallows whatever the tool runs next on that connection.',
    safeAlternative: `BEGIN;
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users ADD COLUMN avatar_url text;
-- end every transaction the file opens
COMMIT;`,
    whenFine:
      "Never with psql -f or runners that send the file as one query. Under runners that wrap each file in their own transaction (pgwarden, dbmate, node-pg-migrate, Flyway…) the runner's COMMIT ends it, so it is not reported here; transaction-nesting reports the redundant BEGIN instead.",
  },
  examples: {
    bad: [
      { sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;', runner: 'psql' },
      {
        sql: "BEGIN;\nUPDATE settings SET value = 'on' WHERE key = 'beta';\nCOMMIT;\nBEGIN;\nDELETE FROM sessions WHERE expires_at < now();",
        runner: 'psql',
      },
      {
        sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ADD COLUMN avatar_url text;',
        runner: 'single-query',
      },
    ],
    good: [
      { sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;', runner: 'psql' },
      { sql: 'START TRANSACTION;\nALTER TABLE users ADD COLUMN nickname text;\nROLLBACK;', runner: 'psql' },
      'ALTER TABLE users ADD COLUMN nickname text;',
      { sql: 'ALTER TABLE users ADD COLUMN nickname text;', runner: 'single-query' },
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.origin !== 'file') return;
    const state = ctx.state<State>(() => ({ open: undefined, nonTransactional: false }));
    if (ctx.effects.some((e) => !e.facts.transactional)) state.nonTransactional = true;
    if (stmt.kind !== 'TransactionStmt') return;
    switch (stmt.node.kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        state.open ??= stmt;
        break;
      case 'TRANS_STMT_COMMIT':
      case 'TRANS_STMT_ROLLBACK':
        // … AND CHAIN starts a new transaction at once (it is an error outside a transaction block)
        state.open = stmt.node.chain && (state.open || ctx.tx.inTransaction) ? stmt : undefined;
        break;
      case 'TRANS_STMT_PREPARE':
        state.open = undefined;
        break;
      default:
        break;
    }
  },
  finish(ctx) {
    const state = ctx.state<State>(() => ({ open: undefined, nonTransactional: false }));
    const open = state.open;
    if (!open || runnerCommits(ctx, state)) return;
    const what =
      open.node.kind === 'TRANS_STMT_BEGIN' || open.node.kind === 'TRANS_STMT_START'
        ? 'This BEGIN opens'
        : 'This COMMIT AND CHAIN opens';
    const consequence =
      ctx.runner.transaction === 'implicit-multi-statement'
        ? `the runner (${ctx.runner.id}) sends the file as one query, and the BEGIN turns it into a transaction block that stays open after the query: what the tool does next on that connection joins it, and when the connection closes PostgreSQL rolls everything back`
        : `when the session ends (runner: ${ctx.runner.id}) PostgreSQL rolls it back and every change made since is lost, and until then it holds all its locks`;
    ctx.report({
      message: `${what} a transaction that is never committed: ${consequence}`,
      offset: open.span.start,
      help: 'Add COMMIT; where the transaction should end, at the latest at the end of the file.',
    });
  },
});

/** The runner wraps the file in a transaction of its own and commits at the end, whatever the file left open. */
function runnerCommits(ctx: FileEndContext, state: State): boolean {
  if (ctx.runner.transaction !== 'per-file') return false;
  return !(ctx.runner.nonTransactional === 'autocommit-file' && state.nonTransactional);
}
