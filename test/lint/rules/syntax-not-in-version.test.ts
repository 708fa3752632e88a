/**
 * The table of version-gated syntax (src/lint/version-syntax.ts) against a real server: every
 * example is found in its parse tree, and the test server accepts exactly the syntax its major
 * has (the examples of newer majors fail: a syntax error, or an unknown function). The rule reports it for an older
 * target, as a warning when the version is only the default.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';
import { syntaxTooNew, VERSIONED_SYNTAX } from '../../../src/lint/version-syntax.js';
import { loadParser, parseSql } from '../../../src/sql/parser.js';
import { useFreshDatabases } from '../../support/database.js';

const freshDatabase = useFreshDatabases();

beforeAll(loadParser);

describe('version-gated syntax', () => {
  it('each example is found in its parse tree, for the versions before the one that accepts it', () => {
    for (const syntax of VERSIONED_SYNTAX) {
      const parsed = parseSql(syntax.example);
      if ('error' in parsed) throw new Error(`${syntax.id}: ${parsed.error.message}`);
      const root = parsed.stmts[0]!.stmt;
      expect(syntaxTooNew(root, syntax.since - 1), syntax.id).toContain(syntax);
      expect(syntaxTooNew(root, syntax.since), syntax.id).not.toContain(syntax);
    }
  });

  it('the server accepts exactly the syntax of its major', async () => {
    const db = await freshDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const major = Math.floor(
        Number((await client.query('SHOW server_version_num')).rows[0].server_version_num) / 10000,
      );
      for (const syntax of VERSIONED_SYNTAX) {
        await client.query('BEGIN');
        await client.query('CREATE TABLE t (id int PRIMARY KEY, a int)');
        // refused as a syntax error, or (JSON_VALUE and friends) as an unknown function
        const outcome = await client.query(syntax.example).then(
          () => 'accepted',
          (error: { code?: string }) =>
            ['42601', '42883'].includes(error.code ?? '') ? 'refused' : `failed ${error.code}`,
        );
        await client.query('ROLLBACK');
        expect(outcome, `${syntax.id} on PostgreSQL ${major}`).toBe(
          syntax.since <= major ? 'accepted' : 'refused',
        );
      }
    } finally {
      await client.end();
    }
  });

  it('the rule: an error for an older target, a warning when the version is only the default', async () => {
    const sql = 'SELECT * FROM (SELECT 1);';
    const on15 = (await lintText(sql, { pgVersion: 15 })).findings.filter(
      (f) => f.rule === 'syntax-not-in-version',
    );
    expect(on15.map((f) => [f.level, f.message])).toEqual([
      [
        'error',
        'a subquery in FROM without an alias needs PostgreSQL 16; PostgreSQL 15 refuses the statement',
      ],
    ]);
    expect(
      (await lintText(sql, { pgVersion: 16 })).findings.filter((f) => f.rule === 'syntax-not-in-version'),
    ).toEqual([]);
    const assumed = (await lintText(sql)).findings.filter((f) => f.rule === 'syntax-not-in-version');
    expect(assumed.map((f) => f.level)).toEqual(['warning']);
    expect(assumed[0]!.message).toContain(
      '(the default: no server or --pg-version told pgwarden the version)',
    );
  });
});
