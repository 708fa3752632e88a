/**
 * What a backfill runs, read without a database: the UPDATE split at its own WHERE (never one in a
 * subquery), the refusals with their reasons, the statement built from `pgwarden backfill` flags
 * (a flag cannot smuggle a second statement or swallow the WHERE), the marker's options, and the
 * batch size's steps towards the target duration.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { adhocBackfill } from '../../src/backfill/adhoc.js';
import { nextSize } from '../../src/backfill/backfill.js';
import { readMarkerOptions } from '../../src/backfill/marker.js';
import { batchStatement, readBackfillUpdate } from '../../src/backfill/update-statement.js';
import { loadParser } from '../../src/sql/parser.js';

beforeAll(loadParser);

describe('the UPDATE of a backfill', () => {
  it('is split at its own WHERE, not at one inside a subquery or a string', () => {
    const u = readBackfillUpdate(
      `UPDATE app.users AS u SET plan = (SELECT p.name FROM plans p WHERE p.id = u.plan_id), note = 'WHERE x' WHERE u.plan IS NULL;`,
    );
    expect(u).toMatchObject({
      schema: 'app',
      table: 'users',
      qualifier: 'u',
      setColumns: ['plan', 'note'],
      head: `UPDATE app.users AS u SET plan = (SELECT p.name FROM plans p WHERE p.id = u.plan_id), note = 'WHERE x'`,
      condition: 'u.plan IS NULL',
    });
    expect(batchStatement(u, '"u"."id" <= $1::bigint')).toBe(
      `${u.head}\nWHERE (u.plan IS NULL)\n  AND "u"."id" <= $1::bigint`,
    );
    const whole = readBackfillUpdate('UPDATE users SET verified = false');
    expect(whole.condition).toBeUndefined();
    expect(batchStatement(whole, 'RANGE IS NOT NULL')).toBe(
      'UPDATE users SET verified = false\nWHERE RANGE IS NOT NULL',
    );
  });

  it('refuses what a batch could not repeat, saying why', () => {
    const refused = (sql: string) => {
      try {
        readBackfillUpdate(sql);
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
      return 'accepted';
    };
    expect(refused('DELETE FROM users')).toBe(
      'BACKFILL_INVALID: a backfill is one UPDATE statement; this is DeleteStmt',
    );
    expect(refused('UPDATE a SET x = 1; UPDATE b SET y = 2')).toBe(
      'BACKFILL_INVALID: a backfill is one UPDATE statement; this is 2 statements',
    );
    expect(refused('UPDATE a SET x = b.x FROM b WHERE a.id = b.id')).toContain('cannot use FROM');
    expect(refused('UPDATE a SET x = 1 RETURNING id')).toContain('cannot use RETURNING');
    expect(refused('WITH c AS (SELECT 1) UPDATE a SET x = 1')).toContain('cannot use WITH');
    expect(refused('UPDATE a SET x = 1 WHERE CURRENT OF cur')).toContain('cannot use WHERE CURRENT OF');
    expect(refused('UPDATE a SET x = ')).toMatch(
      /^BACKFILL_INVALID: the backfill's statement does not parse/,
    );
  });
});

describe('pgwarden backfill flags', () => {
  it('build one UPDATE, with an id that is the same for the same command', () => {
    const a = adhocBackfill({ table: 'app.users', set: 'verified = false', where: 'verified IS NULL' });
    expect(a.sql).toBe('UPDATE app.users SET verified = false WHERE verified IS NULL');
    expect(a.id).toMatch(/^adhoc:[0-9a-f]{16}$/);
    expect(adhocBackfill({ table: 'app.users', set: 'verified = false', where: 'verified IS NULL' }).id).toBe(
      a.id,
    );
    expect(adhocBackfill({ table: '"My Table"', set: 'x = 1' }).sql).toBe('UPDATE "My Table" SET x = 1');
  });

  it('refuse a flag that is not what it says (exit 2), before connecting', () => {
    const message = (flags: Parameters<typeof adhocBackfill>[0]) => {
      try {
        adhocBackfill(flags);
      } catch (error) {
        expect((error as { code: string }).code).toBe('USAGE');
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(message({ table: 'users; DROP TABLE x', set: 'a = 1' })).toContain('is not a table name');
    expect(message({ table: 'users', set: 'a = 1; DROP TABLE x' })).toBe(
      '--set holds a ";": give one piece of one UPDATE',
    );
    // a comment would swallow the WHERE that follows: every row would be updated
    expect(message({ table: 'users', set: 'a = 1 --', where: 'id < 10' })).toBe('--set holds a comment');
    expect(message({ table: 'users', set: 'a = 1 WHERE true' })).toBe(
      '--set must be only the assignments (column = expression, …) and --where only the condition',
    );
    expect(message({ table: 'users', set: "a = 'open" })).toContain(
      "--set is empty or not SQL PostgreSQL's scanner can read",
    );
    expect(message({ table: 'users', set: ' ' })).toContain('--set is empty');
  });
});

describe('options and batch size', () => {
  it('reads the marker options and refuses unknown ones', () => {
    expect(
      readMarkerOptions(['batch=5000', 'max-lag=off', 'sleep=50ms', 'target=1s', 'vacuum-margin=4']),
    ).toEqual({
      batch: 5000,
      maxLagMs: undefined,
      sleepMs: 50,
      targetMs: 1000,
      vacuumMargin: 4,
    });
    expect(readMarkerOptions(['batch=auto'])).toEqual({ batch: 'auto' });
    expect(() => readMarkerOptions(['batch=0'])).toThrow('batch=0: auto, or rows from 1 to 1000000');
    expect(() => readMarkerOptions(['max-lag=soon'])).toThrow('is not a duration');
    expect(() => readMarkerOptions(['speed=fast'])).toThrow('unknown option "speed=fast"');
  });

  it('moves towards the target duration, at most doubling or halving per batch', () => {
    expect(nextSize(1000, 100, 200)).toBe(2000);
    expect(nextSize(1000, 50, 200)).toBe(2000);
    expect(nextSize(1000, 400, 200)).toBe(500);
    expect(nextSize(1000, 4000, 200)).toBe(500);
    expect(nextSize(1000, 250, 200)).toBe(800);
    expect(nextSize(80_000, 10, 200)).toBe(100_000);
    expect(nextSize(1, 5000, 200)).toBe(1);
  });
});
