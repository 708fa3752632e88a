import { defineRule } from '../rule.js';
import { syntaxTooNew } from '../version-syntax.js';

export const rule = defineRule({
  id: 'syntax-not-in-version',
  title: 'Syntax the target PostgreSQL version does not accept',
  defaultLevel: 'error',
  preset: 'recommended',
  shapes: [],
  docs: {
    problem:
      'pgwarden parses with the newest PostgreSQL grammar, so a statement can parse here and still be refused by the server the migration runs on: MERGE needs PostgreSQL 15, a subquery in FROM without an alias 16, JSON_TABLE and the SQL/JSON query functions 17. On an older server the migration fails at that statement (a syntax error, or an unknown function for JSON_VALUE and its kin), in the middle of a deploy. The versions are a table verified against a real server (src/lint/version-syntax.ts).',
    safeAlternative: `-- PostgreSQL 15: give the subquery an alias
SELECT * FROM (SELECT 1) AS one;

-- before PostgreSQL 15: INSERT … ON CONFLICT instead of MERGE
INSERT INTO t (id, a) SELECT id, a FROM staging ON CONFLICT (id) DO UPDATE SET a = excluded.a;`,
    whenFine:
      'The server is new enough: lint with --database-url (the version is read from it) or --pg-version. When the version is only the default (15), the finding is a warning.',
  },
  examples: {
    bad: [
      { sql: 'SELECT * FROM (SELECT 1);', pgVersion: 15 },
      {
        sql: 'MERGE INTO accounts a USING staging s ON a.id = s.id WHEN MATCHED THEN UPDATE SET balance = s.balance;',
        pgVersion: 14,
      },
      {
        sql: "SELECT * FROM JSON_TABLE('[]'::jsonb, '$[*]' COLUMNS (a int PATH '$.a')) AS jt;",
        pgVersion: 16,
      },
    ],
    good: [
      { sql: 'SELECT * FROM (SELECT 1);', pgVersion: 16 },
      { sql: 'SELECT * FROM (SELECT 1) AS one;', pgVersion: 13 },
      {
        sql: 'MERGE INTO accounts a USING staging s ON a.id = s.id WHEN MATCHED THEN UPDATE SET balance = s.balance;',
        pgVersion: 15,
      },
    ],
  },
  check(ctx) {
    if (ctx.stmt.origin === 'function-body') return;
    for (const syntax of syntaxTooNew({ [ctx.stmt.kind]: ctx.stmt.node }, ctx.pgMajor)) {
      ctx.report({
        message: `${syntax.what} needs PostgreSQL ${syntax.since}; PostgreSQL ${ctx.pgMajor}${ctx.pgVersionAssumed ? ' (the default: no server or --pg-version told pgwarden the version)' : ''} refuses the statement`,
        help: ctx.pgVersionAssumed
          ? 'Lint with --database-url or --pg-version so pgwarden knows the target version; rewrite the statement if the server is older.'
          : 'Rewrite it for this version, or upgrade the server first.',
        ...(ctx.pgVersionAssumed ? { level: 'warning' as const } : {}),
      });
    }
  },
});
