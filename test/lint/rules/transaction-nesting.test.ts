import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'transaction-nesting';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const PAIR_THEN_MORE =
  'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nALTER TABLE users ADD COLUMN avatar_url text;';

describe(RULE, () => {
  it("warn: under pgwarden, the file's own BEGIN and COMMIT are not run, as the runner does; other transaction control refuses the migration", async () => {
    const f = await run(PAIR_THEN_MORE);
    expect(f.map((x) => `${x.line} ${x.level}`)).toEqual(['1 warning', '3 warning']);
    expect(f[0]!.message).toContain('The pgwarden runner does not run this BEGIN');
    expect(f[1]!.message).toContain('The pgwarden runner does not run this COMMIT');
    const rollback = await run('ALTER TABLE users ADD COLUMN nickname text;\nROLLBACK;');
    expect(rollback.map((x) => `${x.line} ${x.level}`)).toEqual(['2 error']);
    expect(rollback[0]!.message).toContain('The pgwarden runner refuses this migration before it starts');
    expect(
      await run('SAVEPOINT a;\nALTER TABLE users ADD COLUMN nickname text;\nRELEASE SAVEPOINT a;'),
    ).toEqual([]);
  });

  it('err: other wrapping runners, without the pgwarden timeouts', async () => {
    for (const runner of ['transaction', 'flyway']) {
      const f = await run(PAIR_THEN_MORE, { runner });
      expect(f).toHaveLength(1);
      expect(f[0]!.message).not.toContain('lock_timeout');
    }
  });

  it('ok: explicit pairs under psql and single-query', async () => {
    expect(await run(PAIR_THEN_MORE, { runner: 'psql' })).toEqual([]);
    expect(await run(PAIR_THEN_MORE, { runner: 'single-query' })).toEqual([]);
  });

  it('err: BEGIN inside BEGIN, whatever the runner', async () => {
    const sql =
      'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nBEGIN;\nUPDATE users SET nickname = name;\nCOMMIT;\nCOMMIT;';
    for (const runner of ['psql', 'single-query']) {
      const f = await run(sql, { runner });
      expect(f).toHaveLength(1);
      expect(f[0]!.line).toBe(3);
      expect(f[0]!.message).toContain('there is already a transaction in progress');
    }
  });

  it('err: COMMIT without BEGIN ends the runner transaction early', async () => {
    const f = await run(
      "ALTER TYPE mood ADD VALUE 'calm';\nCOMMIT;\nUPDATE people SET mood = 'calm';\nALTER TABLE people ALTER COLUMN mood SET NOT NULL;",
      { runner: 'transaction' },
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.message).toContain('the 2 statements after it run');
  });

  it('err: ROLLBACK without BEGIN undoes the file', async () => {
    const f = await run('ALTER TABLE users ADD COLUMN nickname text;\nROLLBACK;', { runner: 'transaction' });
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.message).toContain('everything the file did before it is undone');
  });

  it('warn: a redundant pair or COMMIT at the very end', async () => {
    const runner = 'transaction';
    const pair = await run('BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;', { runner });
    expect(pair).toHaveLength(1);
    expect(pair[0]!.level).toBe('warning');
    expect(pair[0]!.message).toContain('redundant');
    const commit = await run('ALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;', { runner });
    expect(commit).toHaveLength(1);
    expect(commit[0]!.level).toBe('warning');
    const begin = await run('BEGIN;\nALTER TABLE users ADD COLUMN nickname text;', { runner });
    expect(begin).toHaveLength(1);
    expect(begin[0]!.help).toContain('Remove the BEGIN');
  });

  it('ok: COMMIT under psql without a transaction is harmless; Flyway without a transaction', async () => {
    expect(await run('ALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;', { runner: 'psql' })).toEqual([]);
    const flyway =
      'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nCREATE INDEX CONCURRENTLY users_nickname_idx ON users (nickname);';
    expect(await run(flyway, { runner: 'flyway' })).toEqual([]);
  });
});
