import { describe, expect, it } from 'vitest';
import { lintText } from '../../../src/lint/lint.js';

const RULE = 'renaming-table';
const run = (sql: string, opts: { before?: string } = {}) =>
  lintText(sql, { rules: { [RULE]: 'error' }, ...opts }).then((r) =>
    r.findings.filter((f) => f.rule === RULE),
  );

describe(RULE, () => {
  it('err: old and new name, and a view to keep the old name working', async () => {
    const f = await run('SELECT 1;\nALTER TABLE customers RENAME TO accounts;');
    expect(f).toHaveLength(1);
    expect(f[0]!.line).toBe(2);
    expect(f[0]!.message).toContain('customers to accounts');
    expect(f[0]!.help).toContain('CREATE VIEW customers AS SELECT * FROM accounts');
  });

  it('err: the suggested view keeps the schema', async () => {
    const f = await run('ALTER TABLE billing.invoice RENAME TO invoices;');
    expect(f[0]!.help).toContain('CREATE VIEW billing.invoice AS SELECT * FROM billing.invoices');
  });

  it('ok: a view with the old name is created later in the same file', async () =>
    expect(
      await run(
        'ALTER TABLE customers RENAME TO accounts;\nCREATE VIEW customers AS SELECT * FROM accounts;',
      ),
    ).toEqual([]));

  it('err: the view is in another schema', async () =>
    expect(
      await run(
        'ALTER TABLE billing.customers RENAME TO accounts;\nCREATE VIEW customers AS SELECT * FROM billing.accounts;',
      ),
    ).toHaveLength(1));

  it('err: a view created before the rename does not count', async () =>
    expect(
      await run('CREATE VIEW customers_v AS SELECT 1;\nALTER TABLE customers RENAME TO accounts;'),
    ).toHaveLength(1));

  it('ok: table created in the same file', async () =>
    expect(await run('CREATE TABLE t (a int);\nALTER TABLE t RENAME TO t2;')).toEqual([]));

  it('ok: inside a function body', async () =>
    expect(
      await run(
        'CREATE FUNCTION rotate() RETURNS void LANGUAGE sql AS $$ ALTER TABLE log RENAME TO log_old $$;',
      ),
    ).toEqual([]));
});
