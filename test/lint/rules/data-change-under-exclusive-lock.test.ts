import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'data-change-under-exclusive-lock';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: a backfill after ALTER TABLE names the lock and the statement that took it', async () => {
    const f = await run("ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free';");
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on users');
    expect(f[0]!.message).toContain('"ALTER TABLE users ADD COLUMN plan text"');
    expect(f[0]!.message).toContain('all reads and writes of users');
    expect(f[0]!.help).toContain('later migration');
  });

  it('err: a SELECT reading the locked table holds the lock as long; a read with LIMIT, of another table, or with no table does not', async () => {
    const f = await run(
      'ALTER TABLE users ADD COLUMN plan text;\nSELECT count(*) FROM users u JOIN orders o ON o.user_id = u.id;',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.fixable).toBeUndefined();
    expect(f[0]!.message).toMatch(
      /^SELECT reads users while this transaction holds the ACCESS EXCLUSIVE lock on users taken by "ALTER TABLE users ADD COLUMN plan text" \(line 1\): all reads and writes of users stay blocked until the query is done/,
    );
    for (const read of [
      'SELECT id FROM users LIMIT 10;',
      'SELECT count(*) FROM orders;',
      "SELECT set_config('x.y', '1', true);",
    ])
      expect(await run(`ALTER TABLE users ADD COLUMN plan text;\n${read}`), read).toEqual([]);
  });

  it('err: SHARE from CREATE INDEX blocks writes for the whole DELETE', async () => {
    const f = await run(
      'CREATE INDEX orders_customer_idx ON orders (customer_id);\nDELETE FROM orders WHERE customer_id IS NULL;',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('SHARE lock on orders');
    expect(f[0]!.message).toContain('writes (INSERT, UPDATE, DELETE) of orders');
  });

  it('err: INSERT … SELECT and MERGE count; INSERT … VALUES does not', async () => {
    const sql = [
      'ALTER TABLE events ADD COLUMN source text;',
      "INSERT INTO events (id, source) VALUES (1, 'x');",
      'INSERT INTO events (id, source) SELECT id, source FROM events_old;',
      "MERGE INTO events e USING events_old o ON e.id = o.id WHEN MATCHED THEN UPDATE SET source = 'old';",
    ].join('\n');
    // one finding per table and transaction
    expect((await run(sql)).map((f) => f.line)).toEqual([3]);
    const merge = [
      'ALTER TABLE events ADD COLUMN source text;',
      "MERGE INTO events e USING events_old o ON e.id = o.id WHEN MATCHED THEN UPDATE SET source = 'old';",
    ].join('\n');
    expect((await run(merge)).map((f) => f.line)).toEqual([2]);
  });

  it('ok: data change before the schema change, or on another table', async () => {
    const sql =
      "UPDATE users SET plan = 'free' WHERE plan IS NULL;\nALTER TABLE users ALTER COLUMN plan SET NOT NULL;\nUPDATE accounts SET active = true;";
    expect(await run(sql)).toEqual([]);
  });

  it('ok: locks that block neither reads nor writes (VALIDATE, COMMENT ON)', async () => {
    const sql =
      "ALTER TABLE users VALIDATE CONSTRAINT users_plan_check;\nCOMMENT ON TABLE users IS 'people';\nUPDATE users SET plan = 'free';";
    expect(await run(sql)).toEqual([]);
  });

  it('ok: every statement commits on its own under psql; a COMMIT in between under BEGIN', async () => {
    const sql = "ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free';";
    expect(await run(sql, { runner: 'psql' })).toEqual([]);
    const explicit =
      "BEGIN;\nALTER TABLE users ADD COLUMN plan text;\nCOMMIT;\nUPDATE users SET plan = 'free';";
    expect(await run(explicit, { runner: 'psql' })).toEqual([]);
  });

  it('err: inside BEGIN under psql, with a COMMIT help', async () => {
    const f = await run(
      "BEGIN;\nALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free';\nCOMMIT;",
      {
        runner: 'psql',
      },
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.help).toContain('COMMIT the schema change first');
  });

  it('ok: a table created in this migration', async () => {
    const sql =
      'CREATE TABLE plans (id bigint PRIMARY KEY, name text);\nALTER TABLE plans ADD COLUMN price numeric;\nUPDATE plans SET price = 0;';
    expect(await run(sql)).toEqual([]);
  });

  it('ok: one row by primary key, when the key is known', async () => {
    const before = 'CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE, plan text);';
    expect(
      await run("ALTER TABLE users ADD COLUMN tier text;\nUPDATE users SET tier = 'x' WHERE id = 42;", {
        before,
      }),
    ).toEqual([]);
    expect(
      await run("ALTER TABLE users ADD COLUMN tier text;\nDELETE FROM users WHERE id = 42 AND plan = 'x';", {
        before,
      }),
    ).toEqual([]);
    const f = await run(
      "ALTER TABLE users ADD COLUMN tier text;\nUPDATE users SET tier = 'x' WHERE plan = 'gold';",
      { before },
    );
    expect(f).toHaveLength(1);
  });

  it('ok: a lock taken on purpose with LOCK TABLE', async () => {
    expect(
      await run('LOCK TABLE counters IN SHARE ROW EXCLUSIVE MODE;\nUPDATE counters SET n = n + 1;'),
    ).toEqual([]);
  });

  it('err: a backfill in a DO block', async () => {
    const f = await run(
      "ALTER TABLE users ADD COLUMN plan text;\nDO $$ BEGIN UPDATE users SET plan = 'free'; END $$;",
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
  });
});
