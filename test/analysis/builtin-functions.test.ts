/** The embedded volatility of built-in functions matches the server's pg_proc. */
import { describe, expect, it } from 'vitest';
import { NON_VOLATILE_BUILTINS, VOLATILE_BUILTINS } from '../../src/analysis/builtin-functions.js';
import { expressionVolatility } from '../../src/analysis/volatility.js';
import { loadParser, parseSql } from '../../src/sql/parser.js';
import { useTestDatabase } from '../support/database.js';

const db = useTestDatabase();

describe('built-in function volatility', () => {
  it('matches pg_proc (regenerate with scripts/gen-builtin-functions.mjs if this fails)', async () => {
    const { rows } = await db.query(`
      SELECT proname, bool_or(provolatile = 'v') AS volatile FROM pg_proc
       WHERE pronamespace = 'pg_catalog'::regnamespace AND prokind = 'f' GROUP BY proname`);
    const volatile = rows
      .filter((r) => r.volatile)
      .map((r) => r.proname)
      .sort();
    const stable = rows
      .filter((r) => !r.volatile)
      .map((r) => r.proname)
      .sort();
    expect([...VOLATILE_BUILTINS].sort()).toEqual(volatile);
    expect([...NON_VOLATILE_BUILTINS].sort()).toEqual(stable);
  });

  it('classifies default expressions', async () => {
    await loadParser();
    const of = (expr: string) => {
      const parsed = parseSql(`SELECT ${expr}`);
      if ('error' in parsed) throw new Error(parsed.error.message);
      return expressionVolatility(parsed.stmts[0]!.stmt.SelectStmt.targetList[0].ResTarget.val);
    };
    expect(of("'x'")).toEqual({ volatility: 'immutable-or-stable', culprit: undefined });
    expect(of('now()').volatility).toBe('immutable-or-stable');
    expect(of('CURRENT_TIMESTAMP').volatility).toBe('immutable-or-stable');
    expect(of("lower('A') || 'b'").volatility).toBe('immutable-or-stable');
    expect(of('gen_random_uuid()')).toEqual({ volatility: 'volatile', culprit: 'gen_random_uuid' });
    expect(of("nextval('s')").volatility).toBe('volatile');
    expect(of('(random() * 10)::int').volatility).toBe('volatile');
    expect(of('uuid_generate_v4()')).toEqual({ volatility: 'unknown', culprit: 'uuid_generate_v4' });
  });
});
