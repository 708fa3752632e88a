import { defineRule } from '../rule.js';
import { disruptiveEffect } from '../statement-facts.js';

export const rule = defineRule({
  id: 'require-lock-timeout',
  title: 'Set lock_timeout before taking locks that block the application',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'A DDL statement that needs a strong lock waits behind any long-running query on the table — and while it waits, every new query on that table queues behind it. A one-second ALTER TABLE behind a ten-minute report stops the application for ten minutes. lock_timeout makes the statement give up instead, so it can be retried later.',
    safeAlternative: `-- fail fast instead of queueing the application behind the migration
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN nickname text;
-- pgwarden migrate sets lock_timeout itself and retries with backoff`,
    whenFine:
      'The runner sets lock_timeout (pgwarden does: this rule never fires with the default runner), or every table involved was created in the same migration.',
  },
  examples: {
    bad: [{ sql: 'ALTER TABLE users ADD COLUMN nickname text;', runner: 'psql' }],
    good: [
      'ALTER TABLE users ADD COLUMN nickname text;',
      { sql: "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nickname text;", runner: 'psql' },
      { sql: 'CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN nickname text;', runner: 'psql' },
    ],
  },
  check(ctx) {
    if (ctx.deferred || ctx.tx.lockTimeout) return;
    const file = ctx.state(() => ({ reported: false }));
    if (file.reported) return;
    const effect = disruptiveEffect(ctx);
    if (!effect) return;
    file.reported = true;
    ctx.report({
      message: `No lock_timeout is set before this statement, which waits for an ${ctx.describeLocks(effect)}; while it waits, the application's queries queue behind it`,
      location: effect.location,
      help: "Add SET lock_timeout = '2s' (or SET LOCAL inside the transaction) before the first such statement, and retry on timeout.",
      fix: `SET lock_timeout = '2s';\n${ctx.stmt.text}`,
    });
  },
});
