/**
 * Every entry of the lock table is executed on the real server, and its predicted locks,
 * rewrites, scans and transaction-block behaviour are compared with what PostgreSQL did
 * (pg_locks, relfilenode changes, sequential-scan counters). No entry may be unverified.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { allShapes, factsFor } from '../../src/locks/lock-table.js';
import { conflictSet, type LockMode, lockModeSql } from '../../src/locks/modes.js';
import type { LockShape, Role } from '../../src/locks/shape.js';
import { useTestDatabase } from '../support/database.js';
import { type Observation, observeInTransaction, observeOutsideTransaction } from './observe.js';

const db = useTestDatabase();
let serverMajor = 0;

beforeAll(async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  serverMajor = Math.floor(
    Number((await client.query('SHOW server_version_num')).rows[0].server_version_num) / 10000,
  );
  await client.end();
});

function names(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

function describeModes(modes: Iterable<LockMode>): string {
  const list = [...modes].map(lockModeSql).sort();
  return list.length ? list.join('+') : 'none';
}

function isIndex(relkind: string | undefined): boolean {
  return relkind === 'i' || relkind === 'I';
}

/** A readable list of every disagreement between the prediction and the observation. */
function compare(shape: LockShape, major: number, seen: Observation): string[] {
  const facts = factsFor(shape.id, major);
  const problems: string[] = [];
  const rolesOf = new Map<string, Role[]>();
  for (const [role, value] of Object.entries(shape.verify.relations) as [Role, string | string[]][]) {
    for (const name of names(value)) {
      if (!seen.relations.has(name))
        problems.push(`fixture: relation ${name} (${role}) does not exist before the statement`);
      rolesOf.set(name, [...(rolesOf.get(name) ?? []), role]);
    }
  }
  for (const [name] of seen.relations) {
    const roles = rolesOf.get(name) ?? [];
    const predicted = facts.locks.filter((l) => roles.includes(l.on)).flatMap((l) => l.modes);
    const observed = new Set(seen.locks.get(name));
    // Planning a query takes ACCESS SHARE on every index of the tables it reads; that lock only
    // conflicts with dropping or rebuilding the index and is left out of the table.
    if (isIndex(seen.relations.get(name))) observed.delete('AccessShareLock');
    const p = [...conflictSet(predicted)].sort().join();
    const o = [...conflictSet(observed)].sort().join();
    if (p !== o) {
      problems.push(
        `locks on ${name} (${roles.join(', ') || 'no role'}): predicted ${describeModes(predicted)}, observed ${describeModes(observed)}`,
      );
    }
    const predictedRewrite = roles.some((r) => facts.rewrites.includes(r));
    if (predictedRewrite !== seen.rewritten.has(name)) {
      problems.push(
        `rewrite of ${name}: predicted ${predictedRewrite}, observed ${seen.rewritten.has(name)}`,
      );
    }
    const kind = seen.relations.get(name);
    if (kind === 'r' || kind === 'm') {
      const predictedScan = roles.some((r) => facts.scans.includes(r));
      if (predictedScan !== seen.scanned.has(name)) {
        problems.push(`scan of ${name}: predicted ${predictedScan}, observed ${seen.scanned.has(name)}`);
      }
    }
  }
  if (facts.transactional && seen.inTransactionError) {
    problems.push(`predicted to run in a transaction block, but failed with ${seen.inTransactionError}`);
  }
  if (!facts.transactional && seen.inTransactionError !== '25001') {
    problems.push(
      `predicted to be refused in a transaction block (25001), got ${seen.inTransactionError ?? 'success'}`,
    );
  }
  return problems;
}

describe('lock table', () => {
  it('has at least 60 shapes with unique ids, each with a verification', () => {
    const shapes = allShapes();
    expect(shapes.length).toBeGreaterThanOrEqual(60);
    expect(new Set(shapes.map((s) => s.id)).size).toBe(shapes.length);
    for (const shape of shapes) {
      expect(shape.verify.sql, shape.id).toBeTruthy();
      expect(Object.keys(shape.verify.relations).length, shape.id).toBeGreaterThan(0);
    }
  });

  for (const shape of allShapes()) {
    it(`${shape.id}: prediction matches PostgreSQL`, async () => {
      if (shape.since !== undefined && serverMajor < shape.since) return;
      const facts = factsFor(shape.id, serverMajor);
      const seen = facts.transactional
        ? await observeInTransaction(db.url, shape)
        : await observeOutsideTransaction(db.url, shape);
      expect(compare(shape, serverMajor, seen), shape.id).toEqual([]);
    });
  }
});
