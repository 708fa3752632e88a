import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'enum-value-used-in-same-transaction';
const run = (sql: string, opts: { pgVersion?: number; runner?: string; before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const SCHEMA =
  "CREATE TYPE mood AS ENUM ('sad', 'happy');\nCREATE TABLE people (id bigint PRIMARY KEY, name text, current_mood mood, note text);";
const ADD = "ALTER TYPE mood ADD VALUE 'calm';";

describe(RULE, () => {
  it('err: a cast to the enum fails even when nothing is known about the schema', async () => {
    const f = await run(`${ADD}\nSELECT 'calm'::mood;`);
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.column).toBe(8);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.message).toContain('unsafe use of new value "calm" of enum type mood');
    expect(f[0]!.help).toContain('runner (pgwarden) runs each file in one transaction');
  });

  it('err: writing to and comparing with a column of the enum type, when the column is known', async () => {
    const sql = [
      ADD,
      "INSERT INTO people (id, current_mood) VALUES (1, 'calm');",
      "INSERT INTO people VALUES (2, 'Ann', 'calm');",
      "UPDATE people SET current_mood = 'calm' WHERE id = 3;",
      "UPDATE people SET note = 'x' WHERE current_mood IN ('sad', 'calm');",
      "UPDATE people SET current_mood = CASE WHEN id > 5 THEN 'calm' ELSE 'sad' END;",
      "ALTER TABLE people ALTER COLUMN current_mood SET DEFAULT 'calm';",
      "ALTER TABLE people ADD COLUMN usual_mood mood DEFAULT 'calm';",
      "CREATE INDEX people_not_calm_idx ON people (id) WHERE people.current_mood <> 'calm';",
      "INSERT INTO people (id, current_mood) SELECT id, 'calm' FROM people_import;",
    ].join('\n');
    const f = await run(sql, { before: SCHEMA });
    expect(f.map((x) => x.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(f.every((x) => x.level === 'error')).toBe(true);
  });

  it('ok: the same string going into or compared with a text column', async () => {
    const sql = [
      ADD,
      "INSERT INTO people (id, note) VALUES (1, 'calm');",
      "UPDATE people SET note = 'calm' WHERE current_mood = 'sad';",
      "UPDATE people SET name = 'x' WHERE note = 'calm';",
      "ALTER TABLE people ALTER COLUMN note SET DEFAULT 'calm';",
      "SELECT 'calm'::text;",
    ].join('\n');
    expect(await run(sql, { before: SCHEMA })).toEqual([]);
  });

  it('err: an unknown column type is a warning that says "if"', async () => {
    const f = await run(`${ADD}\nUPDATE orders SET status = 'calm';`);
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('warning');
    expect(f[0]!.message).toContain('if this string is converted to mood');
  });

  it('ok: a COMMIT separates the ADD VALUE from the use', async () => {
    const sql = `BEGIN;\n${ADD}\nCOMMIT;\nBEGIN;\nUPDATE people SET current_mood = 'calm';\nCOMMIT;`;
    expect(await run(sql, { runner: 'psql', before: SCHEMA })).toEqual([]);
  });

  it('err: inside the same BEGIN block under psql, with a COMMIT-based help', async () => {
    const f = await run(`BEGIN;\n${ADD}\nUPDATE people SET current_mood = 'calm';\nCOMMIT;`, {
      runner: 'psql',
      before: SCHEMA,
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(3);
    expect(f[0]!.help).toContain('COMMIT after ALTER TYPE');
  });

  it('ok: psql without BEGIN commits every statement', async () => {
    expect(await run(`${ADD}\nSELECT 'calm'::mood;`, { runner: 'psql' })).toEqual([]);
  });

  it('err: a file sent as one query is one transaction', async () => {
    const f = await run(`${ADD}\nSELECT 'calm'::mood;`, { runner: 'single-query' });
    expect(f).toHaveLength(1);
    expect(f[0]!.help).toContain('one query');
  });

  it('ok: before PostgreSQL 12 the ADD VALUE itself is the problem (another rule)', async () => {
    const sql = `BEGIN;\n${ADD}\nSELECT 'calm'::mood;\nCOMMIT;`;
    expect(await run(sql, { runner: 'psql', pgVersion: 11 })).toEqual([]);
    const all = await lintText(sql, { runner: 'psql', pgVersion: 11 });
    expect(all.findings.map((x) => `${x.line}:${x.rule}`)).toContain(
      '2:ban-concurrent-index-creation-in-transaction',
    );
  });

  it('ok: ADD VALUE IF NOT EXISTS of a value the enum already has', async () => {
    const sql = "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'happy';\nSELECT 'happy'::mood;";
    expect(await run(sql, { before: SCHEMA })).toEqual([]);
  });

  it('ok: a value of another enum, or another value', async () => {
    const sql = `${ADD}\nSELECT 'calm'::weather, 'sad'::mood;`;
    expect(await run(sql, { before: SCHEMA })).toEqual([]);
  });

  it('err: a LANGUAGE sql body is checked at CREATE FUNCTION; a PL/pgSQL body is not', async () => {
    const sql = [
      ADD,
      "CREATE FUNCTION calm_sql() RETURNS mood LANGUAGE sql AS $$ SELECT 'calm'::mood $$;",
      "CREATE FUNCTION calm_plpgsql() RETURNS mood LANGUAGE plpgsql AS $$ BEGIN RETURN 'calm'::mood; END $$;",
      "CREATE FUNCTION calm_atomic() RETURNS mood LANGUAGE sql BEGIN ATOMIC SELECT 'calm'::mood; END;",
    ].join('\n');
    const f = await run(sql);
    expect(f.map((x) => x.line)).toEqual([2, 4]);
  });

  it('err: a DO block runs now', async () => {
    const f = await run(`${ADD}\nDO $$ BEGIN INSERT INTO people (current_mood) VALUES ('calm'); END $$;`, {
      before: SCHEMA,
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
  });

  it('err: MERGE … UPDATE SET and INSERT VALUES', async () => {
    const sql = `${ADD}\nMERGE INTO people p USING people_import i ON p.id = i.id WHEN MATCHED THEN UPDATE SET current_mood = 'calm' WHEN NOT MATCHED THEN INSERT (id, note) VALUES (i.id, 'calm');`;
    const f = await run(sql, { before: SCHEMA });
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
  });
});

describe(`${RULE}: columns defined by the statement`, () => {
  it('err: a CHECK on a column of the table being created', async () => {
    const sql = `${ADD}\nCREATE TABLE visits (id bigint, how mood CHECK (how <> 'calm'), note text CHECK (note <> 'calm'));`;
    const f = await run(sql);
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.column).toBe(56);
  });
});
