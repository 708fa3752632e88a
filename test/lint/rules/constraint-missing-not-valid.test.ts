import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'constraint-missing-not-valid';
const run = (sql: string, opts: { pgVersion?: number; before?: string; runner?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: ADD CONSTRAINT … CHECK on an existing table, with a NOT VALID fix', async () => {
    const f = await run(
      'SELECT 1;\nALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on orders');
    expect(f[0]!.fix).toBe(
      'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID',
    );
    expect(f[0]!.help).toContain('VALIDATE CONSTRAINT orders_amount_positive');
  });

  it('err: no fix for a multi-command ALTER TABLE', async () => {
    const f = await run('ALTER TABLE orders ADD CHECK (amount > 0), ADD COLUMN note text;');
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
    expect(f[0]!.help).toContain('VALIDATE CONSTRAINT orders_amount_check');
  });

  it('err: a CHECK on a new column of an existing table', async () => {
    const f = await run('ALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0);');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('"discount"');
  });

  it('ok: NOT VALID, a new table, and constraints other rules cover', async () => {
    expect(await run('ALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;')).toEqual([]);
    expect(await run('CREATE TABLE t (a int);\nALTER TABLE t ADD CHECK (a > 0);')).toEqual([]);
    expect(await run('ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);')).toEqual([]);
    expect(await run('ALTER TABLE orders ADD UNIQUE (ref);')).toEqual([]);
    expect(await run('ALTER TABLE orders ADD PRIMARY KEY (id);')).toEqual([]);
    expect(await run('ALTER TABLE orders ADD EXCLUDE USING gist (during WITH &&);')).toEqual([]);
  });

  it('err: VALIDATE in the same transaction as the NOT VALID add', async () => {
    const f = await run(
      'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('same transaction');
    expect(f[0]!.message).toContain('ACCESS EXCLUSIVE lock on orders');
    expect(f[0]!.help).toContain('later migration');
  });

  it("err: VALIDATE by PostgreSQL's default name of an unnamed CHECK or foreign key", async () => {
    const check = await run(
      'ALTER TABLE orders ADD CHECK (amount > 0 AND amount < 1000000) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_amount_check;',
    );
    expect(check).toHaveLength(1);
    const fk = await run(
      'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;',
    );
    expect(fk).toHaveLength(1);
    expect(fk[0]!.message).toContain('SHARE ROW EXCLUSIVE lock on users');
  });

  it('err: ADD … NOT VALID and VALIDATE in one ALTER TABLE', async () => {
    const f = await run(
      'ALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID, VALIDATE CONSTRAINT c;',
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('VALIDATE CONSTRAINT c');
  });

  it('err: inside an explicit transaction the help says to commit in between', async () => {
    const f = await run(
      'BEGIN;\nALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c;\nCOMMIT;',
      { runner: 'psql' },
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.help).toContain('Commit');
  });

  it('ok: VALIDATE in a later transaction', async () => {
    expect(
      await run(
        'BEGIN;\nALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT c;\nCOMMIT;',
        { runner: 'psql' },
      ),
    ).toEqual([]);
    expect(
      await run(
        'ALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c;',
        {
          runner: 'psql',
        },
      ),
    ).toEqual([]);
    expect(
      await run('ALTER TABLE orders VALIDATE CONSTRAINT c;', {
        before:
          'CREATE TABLE orders (amount int);\nALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;',
      }),
    ).toEqual([]);
  });

  it('ok: VALIDATE of another constraint, or of another table', async () => {
    expect(
      await run(
        'ALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT d;',
      ),
    ).toEqual([]);
    expect(
      await run(
        'ALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;\nALTER TABLE invoices VALIDATE CONSTRAINT c;',
      ),
    ).toEqual([]);
  });
});
