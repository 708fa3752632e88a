import { describe, expect, it } from 'vitest';
import { lintText } from '../../src/lint/lint.js';

const INDEX = 'CREATE INDEX users_email_idx ON users (email);';

async function rules(sql: string) {
  const result = await lintText(sql);
  return result.findings.map(
    (f) => `${f.line}:${f.rule}${f.rule === 'unused-ignore' ? ` ${f.message}` : ''}`,
  );
}

describe('ignore comments', () => {
  it('err: without an ignore the finding is reported', async () => {
    expect(await rules(INDEX)).toEqual(['1:require-concurrent-index-creation']);
  });

  it('ok: pgwarden-ignore with a reason silences the next statement only', async () => {
    const sql = `-- pgwarden-ignore require-concurrent-index-creation: table has 40 rows\n${INDEX}\n${INDEX}`;
    expect(await rules(sql)).toEqual(['3:require-concurrent-index-creation']);
  });

  it('ok: several rules, block comments, and an ignore inside a multi-line statement', async () => {
    const sql = [
      '/* pgwarden-ignore adding-field-with-default, require-concurrent-index-creation */',
      'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
      'CREATE INDEX users_token_idx',
      '  -- pgwarden-ignore require-concurrent-index-creation: small table',
      '  ON users (token);',
    ].join('\n');
    expect(await rules(sql)).toEqual([
      '1:unused-ignore "require-concurrent-index-creation" is ignored here but reports nothing',
    ]);
  });

  it('ok: pgwarden-ignore-file silences the rule in the whole file', async () => {
    expect(
      await rules(`${INDEX}\n-- pgwarden-ignore-file require-concurrent-index-creation: seed data\n${INDEX}`),
    ).toEqual([]);
  });

  it("ok: squawk's ignore comments and aliases are honoured", async () => {
    expect(await rules(`-- squawk-ignore require-concurrent-index-creation\n${INDEX}`)).toEqual([]);
    expect(await rules(`-- squawk-ignore-file\n${INDEX}`)).toEqual([]);
    const timeout = await lintText(
      `-- squawk-ignore require-timeout-settings\nALTER TABLE users ADD COLUMN x int;`,
      {
        runner: 'psql',
      },
    );
    expect(timeout.findings.filter((f) => f.rule === 'require-lock-timeout')).toEqual([]);
  });

  it("ok: eugene's ignore comments, its hint ids mapped to pgwarden's rules, for the next statement only", async () => {
    expect(await rules(`-- eugene: ignore E6\n${INDEX}\n${INDEX}`)).toEqual([
      '3:require-concurrent-index-creation',
    ]);
    expect(await rules(`-- eugene: ignore\n${INDEX}`)).toEqual([]);
    expect(await rules(`/* eugene: ignore E2, e6 */\n${INDEX}`)).toEqual([
      '1:unused-ignore "adding-not-nullable-field" is ignored here but reports nothing',
    ]);
    // a hint with no pgwarden counterpart ignores nothing; another hint's rule is not this finding's
    expect(await rules(`-- eugene: ignore W13\n${INDEX}`)).toEqual(['2:require-concurrent-index-creation']);
    expect(await rules(`-- eugene: ignore E9\n${INDEX}`)).toEqual([
      '1:unused-ignore "require-lock-timeout" is ignored here but reports nothing',
      '2:require-concurrent-index-creation',
    ]);
  });

  it('err: unknown rule names are reported, and the finding stays', async () => {
    expect(await rules(`-- pgwarden-ignore require-concurent-index-creation: typo\n${INDEX}`)).toEqual([
      '1:unused-ignore unknown rule "require-concurent-index-creation" in ignore comment',
      '2:require-concurrent-index-creation',
    ]);
  });

  it('err: an ignore that suppresses nothing is reported', async () => {
    expect(
      await rules('-- pgwarden-ignore ban-drop-database: nothing here\nCREATE TABLE t (id int);'),
    ).toEqual(['1:unused-ignore "ban-drop-database" is ignored here but reports nothing']);
  });

  it('ok: unused-ignore itself can be turned off', async () => {
    const result = await lintText('-- pgwarden-ignore ban-drop-database\nCREATE TABLE t (id int);', {
      rules: { 'unused-ignore': 'off' },
    });
    expect(result.findings).toEqual([]);
  });

  it('ok: an ignore comment inside a string literal is not a directive', async () => {
    expect(await rules(`SELECT '-- pgwarden-ignore require-concurrent-index-creation';\n${INDEX}`)).toEqual([
      '2:require-concurrent-index-creation',
    ]);
  });
});
