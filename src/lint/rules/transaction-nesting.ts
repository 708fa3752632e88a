import { classify } from '../../analysis/classify.js';
import type { Statement } from '../../sql/statement.js';
import { runnerDrops, runnerRuns } from '../../sql/transaction-control.js';
import { defineRule, type RuleContext } from '../rule.js';

const BEGIN = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const END = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK']);

export const rule = defineRule({
  id: 'transaction-nesting',
  title: 'BEGIN/COMMIT inside a migration the runner already wraps',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'PostgreSQL has no nested transactions. A BEGIN inside an open transaction only draws a warning ("there is already a transaction in progress"), and the first COMMIT then ends the whole transaction. Most migration runners (pgwarden, dbmate, node-pg-migrate, Flyway…) already run each file in a transaction, so a COMMIT or ROLLBACK in the file ends the runner\'s transaction early: the statements after it run outside it and are no longer atomic with the rest (a failure leaves the earlier part committed), and a ROLLBACK silently undoes what came before. The pgwarden runner does not run a file\'s own BEGIN, START TRANSACTION or COMMIT at all — its transactions replace them, and plan and migrate say so — and refuses a migration with any other transaction control but savepoints; lint with runner pgwarden reports exactly that.',
    safeAlternative: `-- let the runner own the transaction: no BEGIN / COMMIT in the file
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users ADD COLUMN avatar_url text;

-- a statement that must run outside a transaction (CREATE INDEX CONCURRENTLY…):
-- pgwarden sends it alone by itself; other runners need a migration of its own without a transaction`,
    whenFine:
      'With runners that do not wrap the file (psql -f, autocommit) or that send it as one query string, explicit BEGIN … COMMIT pairs are fine and are not reported; only a BEGIN inside a BEGIN is.',
  },
  examples: {
    bad: [
      {
        sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nALTER TABLE users ADD COLUMN avatar_url text;',
        runner: 'transaction',
      },
      'ALTER TABLE users ADD COLUMN nickname text;\nROLLBACK;',
      {
        sql: 'ALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nCREATE INDEX CONCURRENTLY users_nickname_idx ON users (nickname);\nBEGIN;',
        runner: 'transaction',
      },
      {
        sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nBEGIN;\nUPDATE users SET nickname = name;\nCOMMIT;\nALTER TABLE users ALTER COLUMN nickname SET NOT NULL;\nCOMMIT;',
        runner: 'psql',
      },
      { sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;', runner: 'transaction' },
    ],
    good: [
      'ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ADD COLUMN avatar_url text;',
      { sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;', runner: 'psql' },
      {
        sql: "BEGIN;\nALTER TYPE mood ADD VALUE 'calm';\nCOMMIT;\nBEGIN;\nUPDATE people SET mood = 'calm' WHERE mood IS NULL;\nCOMMIT;",
        runner: 'single-query',
      },
    ],
  },
  check(ctx) {
    const { stmt } = ctx;
    if (stmt.origin !== 'file' || stmt.kind !== 'TransactionStmt') return;
    const kind = stmt.node.kind as string;
    if (ctx.runner.dropsTransactionControl) {
      droppedOrRefused(ctx);
      return;
    }
    const state = ctx.state(() => ({ begin: undefined as Statement | undefined }));
    if (BEGIN.has(kind)) {
      nestedBegin(ctx, state.begin);
      if (!ctx.tx.explicit) state.begin = stmt;
      return;
    }
    if (END.has(kind) && !ctx.tx.explicit && ctx.tx.inTransaction && wraps(ctx)) runnerEnd(ctx, stmt);
  },
});

/** The pgwarden runner: what it does with the file's own transaction control (src/sql/transaction-control.ts). */
function droppedOrRefused(ctx: RuleContext): void {
  const { stmt } = ctx;
  const kind = stmt.node.kind as string;
  if (runnerRuns(stmt.node)) return;
  if (runnerDrops(stmt.node)) {
    ctx.report({
      message: `The pgwarden runner does not run this ${kind === 'TRANS_STMT_COMMIT' ? 'COMMIT' : 'BEGIN'}: it runs the migration in a transaction of its own (or statement by statement when a statement refuses a transaction block), and plan and migrate say the file's own BEGIN/COMMIT are not run`,
      help: 'Remove it, so that the file says what runs; other tools would run it.',
      level: 'warning',
    });
    return;
  }
  ctx.report({
    message: `The pgwarden runner refuses this migration before it starts: "${stmt.text}" cannot run in the transaction it runs each migration in`,
    help: 'Remove the statement: BEGIN/COMMIT are handled by the runner; use SAVEPOINT for partial rollbacks.',
  });
}

/** The runner has wrapped the file in a transaction of its own (not a query string's implicit one). */
function wraps(ctx: RuleContext): boolean {
  return ctx.runner.transaction === 'per-file';
}

function runnerName(ctx: RuleContext): string {
  switch (ctx.runner.id) {
    case 'pgwarden':
      return 'The pgwarden runner';
    case 'flyway':
      return 'Flyway';
    default:
      return `The runner (${ctx.runner.id})`;
  }
}

/** File statements after `stmt`. */
function following(ctx: RuleContext, stmt: Statement): Statement[] {
  return ctx.statements.filter((s) => s.origin === 'file' && s.index > stmt.index);
}

/**
 * How many of `statements` would have run in the runner's transaction: not transaction control,
 * and not the statements a runner like pgwarden sends alone anyway (CREATE INDEX CONCURRENTLY…).
 */
function working(ctx: RuleContext, statements: Statement[]): number {
  const isolates = ctx.runner.nonTransactional === 'isolate';
  const classifyCtx = { model: ctx.schema, pgMajor: ctx.pgMajor };
  return statements.filter(
    (s) =>
      s.kind !== 'TransactionStmt' &&
      !(isolates && classify(s, classifyCtx).some((e) => !e.facts.transactional)),
  ).length;
}

/** What running `count` statements outside the runner's transaction costs. */
function outside(ctx: RuleContext, count: number): string {
  const statements = count === 1 ? 'the statement after it runs' : `the ${count} statements after it run`;
  const timeouts =
    ctx.runner.id === 'pgwarden'
      ? ', without the lock_timeout and statement_timeout pgwarden sets for the transaction, and a retry after a lock timeout would run the committed part again'
      : '';
  return `${statements} outside the runner's transaction, no longer atomic with what came before (if one fails, the earlier part stays committed)${timeouts}`;
}

function nestedBegin(ctx: RuleContext, outer: Statement | undefined): void {
  const { stmt } = ctx;
  if (ctx.tx.explicit) {
    const line = outer ? ctx.lineOf(outer.span.start) : undefined;
    ctx.report({
      message: `BEGIN inside the transaction opened by the BEGIN ${line === undefined ? 'before it' : `on line ${line}`}: PostgreSQL only warns ("there is already a transaction in progress"), and the first COMMIT then ends the whole transaction, so the statements between the two COMMITs run outside it`,
      help: 'PostgreSQL transactions do not nest: remove the inner BEGIN and its COMMIT (use SAVEPOINT for a partial rollback).',
    });
    return;
  }
  if (!ctx.tx.inTransaction || !wraps(ctx)) return;
  const rest = following(ctx, stmt);
  const endAt = rest.findIndex((s) => s.kind === 'TransactionStmt' && END.has(s.node.kind));
  const end = endAt >= 0 ? rest[endAt] : undefined;
  const after = endAt >= 0 ? working(ctx, rest.slice(endAt + 1)) : 0;
  const base = `${runnerName(ctx)} already runs this file in a transaction, so this BEGIN only draws a warning ("there is already a transaction in progress")`;
  if (end && end.node.kind === 'TRANS_STMT_ROLLBACK') {
    ctx.report({
      message: `${base}, and the ROLLBACK ${laterRef(ctx, end)} rolls back the runner's transaction: everything the file did before it is undone while the runner carries on`,
      help: "Remove BEGIN and ROLLBACK: the runner's transaction already makes the file atomic.",
    });
    return;
  }
  if (end && after > 0) {
    ctx.report({
      message: `${base}, and the COMMIT ${laterRef(ctx, end)} commits the runner's transaction early: ${outside(ctx, after)}`,
      help: `Remove BEGIN and COMMIT: the runner's transaction already makes the file atomic. ${splitHelp(ctx)}`,
    });
    return;
  }
  ctx.report({
    message: end
      ? `${base}, and its COMMIT commits the runner's transaction instead of leaving that to the runner: the BEGIN/COMMIT pair is redundant`
      : `${base}: it is redundant`,
    help: end
      ? "Remove BEGIN and COMMIT: the runner's transaction already makes the file atomic."
      : "Remove the BEGIN: the runner's transaction already makes the file atomic.",
    level: 'warning',
  });
}

function runnerEnd(ctx: RuleContext, stmt: Statement): void {
  const rest = working(ctx, following(ctx, stmt));
  const rollback = stmt.node.kind === 'TRANS_STMT_ROLLBACK';
  const base = `${runnerName(ctx)} runs this file in a transaction and the file never opened one, so this ${rollback ? 'ROLLBACK' : 'COMMIT'}`;
  if (rollback) {
    ctx.report({
      message: `${base} rolls back the runner's transaction: everything the file did before it is undone while the runner carries on${rest > 0 ? `, and ${outside(ctx, rest)}` : ''}`,
      help: 'Remove the ROLLBACK. To test a migration without keeping it, run it in a transaction you roll back yourself, outside the runner.',
    });
    return;
  }
  if (rest === 0) {
    ctx.report({
      message: `${base} commits the runner's transaction itself instead of leaving that to the runner: it is redundant`,
      help: "Remove the COMMIT: the runner commits the file's transaction.",
      level: 'warning',
    });
    return;
  }
  ctx.report({
    message: `${base} commits the runner's transaction early: ${outside(ctx, rest)}`,
    help: `Remove the COMMIT. ${splitHelp(ctx)}`,
  });
}

function splitHelp(ctx: RuleContext): string {
  return ctx.runner.id === 'pgwarden'
    ? 'pgwarden already sends statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY…) alone; what must be committed first (a new enum value) belongs in an earlier migration.'
    : 'What must be committed first, or run outside a transaction, belongs in a migration of its own.';
}

/** Where a later statement is: its line when known. */
function laterRef(ctx: RuleContext, stmt: Statement): string {
  return `on line ${ctx.lineOf(stmt.span.start)}`;
}
