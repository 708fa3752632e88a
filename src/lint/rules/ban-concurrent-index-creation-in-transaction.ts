import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'ban-concurrent-index-creation-in-transaction',
  title: 'Statements PostgreSQL refuses inside a transaction block',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [
    'create-index-concurrently',
    'drop-index-concurrently',
    'reindex-concurrently',
    'detach-partition-concurrently',
    'vacuum',
    'vacuum-full',
  ],
  docs: {
    problem:
      'CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION … CONCURRENTLY and VACUUM fail with "cannot run inside a transaction block" when an explicit BEGIN is open, when the migration tool wraps the file in a transaction, or when the file is sent as one multi-statement query. The migration fails at deploy time. Inside a DO block or a function they always fail.',
    safeAlternative: `-- pgwarden's runner sends these statements alone, outside any transaction: just don't wrap them
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);

-- other runners: give the statement a migration file of its own, without a transaction
-- (dbmate: "-- migrate:up transaction:false"; golang-migrate/Prisma: one statement per file)`,
    whenFine:
      'Never inside a transaction. Under the pgwarden runner (the default) a file may mix these statements with others, as long as no explicit BEGIN surrounds them.',
  },
  examples: {
    bad: [
      {
        sql: 'BEGIN;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCOMMIT;',
        runner: 'psql',
      },
      {
        sql: 'ALTER TABLE users ADD COLUMN email text;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
        runner: 'transaction',
      },
      {
        sql: 'CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
        runner: 'single-query',
      },
    ],
    good: [
      'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      'ALTER TABLE users ADD COLUMN email text;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      { sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);', runner: 'single-query' },
      { sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);', runner: 'psql' },
    ],
  },
  check(ctx) {
    if (ctx.deferred) return;
    const effect = ctx.effects.find((e) => !e.facts.transactional);
    if (!effect || !ctx.inTransaction) return;
    const what = effect.facts.versionNote
      ? `${effect.facts.shape.title} (on PostgreSQL ${ctx.pgMajor}: ${effect.facts.versionNote})`
      : effect.facts.shape.title;
    const where =
      ctx.stmt.origin === 'do-block'
        ? 'inside a DO block, which always runs in a transaction'
        : ctx.tx.explicit
          ? 'inside the transaction opened by BEGIN earlier in this file'
          : ctx.runner.transaction === 'implicit-multi-statement'
            ? `in a file sent as one multi-statement query (runner: ${ctx.runner.id}), which PostgreSQL runs as one transaction`
            : `inside the transaction the runner (${ctx.runner.id}) wraps around the file`;
    ctx.report({
      message: `${what} cannot run in a transaction block, and this one runs ${where}: the migration will fail`,
      location: effect.location,
      help: ctx.tx.explicit
        ? 'Remove the BEGIN/COMMIT around it.'
        : 'Move the statement to a migration of its own that runs without a transaction.',
    });
  },
});
