import { describe, expect, it } from 'vitest';
import { SchemaModel } from '../../../src/analysis/schema-model.js';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'ban-alter-domain-with-add-constraint';
const run = (sql: string, opts: { pgVersion?: number; before?: string; schema?: SchemaModel } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

const USED =
  'CREATE DOMAIN amount AS numeric;\nCREATE TABLE orders (id bigint, total amount);\nCREATE TABLE refunds (id bigint, sum amount);\nCREATE TABLE notes (id bigint, body text);';
const ADD = 'ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0);';

describe(RULE, () => {
  it('err: names every known table using the domain, with a NOT VALID fix', async () => {
    const f = await run(`SELECT 1;\n${ADD}`, { before: USED });
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('error');
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('SHARE lock on orders, refunds');
    expect(f[0]!.message).not.toContain('notes');
    expect(f[0]!.fix).toBe('ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0) NOT VALID');
  });

  it('err: tables new in this file are left out of the message', async () => {
    const f = await run(`CREATE TABLE payouts (id bigint, sum amount);\n${ADD}`, { before: USED });
    expect(f[0]!.message).not.toContain('payouts');
  });

  it('err: a NOT NULL domain constraint gets no NOT VALID fix', async () => {
    const f = await run('ALTER DOMAIN amount ADD CONSTRAINT amount_nn NOT NULL;', {
      before: USED,
      pgVersion: 17,
    });
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toBeUndefined();
    expect(f[0]!.help).toContain('cannot be NOT VALID');
  });

  it('err: unknown users of the domain make it a warning', async () => {
    const f = await run(ADD);
    expect(f).toHaveLength(1);
    expect(f[0]!.level).toBe('warning');
    expect(f[0]!.message).toContain('could not tell which tables use it');
  });

  it('ok: NOT VALID', async () => {
    expect(
      await run('ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0) NOT VALID;', {
        before: USED,
      }),
    ).toEqual([]);
  });

  it('ok: a domain created in the same file, used only by new tables', async () => {
    expect(
      await run(`CREATE DOMAIN amount AS numeric;\nCREATE TABLE orders (total amount);\n${ADD}`),
    ).toEqual([]);
  });

  it('ok: with the live schema, a domain no table uses', async () => {
    const schema = new SchemaModel();
    schema.live = true;
    expect(await run(ADD, { schema })).toEqual([]);
  });
});
