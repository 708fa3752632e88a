import { defineRule } from '../rule.js';
import { disruptiveEffect } from '../statement-facts.js';

export const rule = defineRule({
  id: 'require-statement-timeout',
  title: 'Set statement_timeout before long statements',
  defaultLevel: 'warning',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'A statement that holds a lock the application needs (ACCESS EXCLUSIVE for most ALTER TABLE forms, SHARE for CREATE INDEX…) blocks the application for as long as it runs. When it runs longer than expected (an unexpected rewrite, a bigger table than in staging, a slow trigger or constraint check), nothing stops it: the outage lasts until it finishes. statement_timeout cancels it instead, releasing the lock; lock_timeout alone only bounds the wait for the lock, not the work done while holding it.',
    safeAlternative: `-- cap how long any statement may hold the application's tables
SET statement_timeout = '10s';
ALTER TABLE users ADD COLUMN nickname text;

-- statements meant to run long without blocking (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT)
-- can lift it for themselves
SET statement_timeout = 0;
CREATE INDEX CONCURRENTLY users_nickname_idx ON users (nickname);
-- pgwarden migrate sets statement_timeout itself`,
    whenFine:
      'The runner sets statement_timeout (pgwarden does: this rule never fires with the default runner), or every table involved was created in the same migration. Long statements that block nobody (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT, batched backfills) are deliberately not reported: a timeout would only kill useful work.',
  },
  examples: {
    bad: [
      { sql: 'ALTER TABLE users ALTER COLUMN id TYPE bigint;', runner: 'psql' },
      {
        sql: "SET lock_timeout = '2s';\nCREATE INDEX users_email_idx ON users (email);",
        runner: 'transaction',
      },
    ],
    good: [
      'ALTER TABLE users ALTER COLUMN id TYPE bigint;',
      { sql: "SET statement_timeout = '10s';\nALTER TABLE users ADD COLUMN nickname text;", runner: 'psql' },
      { sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);', runner: 'psql' },
      {
        sql: 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nCREATE INDEX accounts_email_idx ON accounts (email);',
        runner: 'transaction',
      },
    ],
  },
  check(ctx) {
    if (ctx.deferred || ctx.tx.statementTimeout) return;
    const file = ctx.state(() => ({ reported: false }));
    if (file.reported) return;
    const effect = disruptiveEffect(ctx);
    if (!effect) return;
    file.reported = true;
    const local = ctx.inTransaction && ctx.stmt.origin === 'file';
    ctx.report({
      message: `No statement_timeout is set before this statement, which holds an ${ctx.describeLocks(effect)}: if it runs longer than expected, the application stays blocked until it finishes`,
      location: effect.location,
      help: `Add SET ${local ? 'LOCAL ' : ''}statement_timeout = '10s' (or the longest block you can accept) before the first such statement; lift it with SET statement_timeout = 0 before statements meant to run long without blocking, such as CREATE INDEX CONCURRENTLY.`,
      ...(ctx.stmt.origin === 'file'
        ? { fix: `SET ${local ? 'LOCAL ' : ''}statement_timeout = '10s';\n${ctx.stmt.text}` }
        : {}),
    });
  },
});
