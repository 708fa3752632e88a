import type { LockShape } from '../shape.js';
import { BASE_SETUP, T } from './fixture.js';

const AEL = 'AccessExclusiveLock' as const;
const SUE = 'ShareUpdateExclusiveLock' as const;

/** VACUUM, ANALYZE, CLUSTER. */
export const maintenanceShapes: LockShape[] = [
  {
    id: 'vacuum',
    title: 'VACUUM [ANALYZE]',
    example: 'VACUUM ANALYZE t',
    locks: [{ on: 'table', modes: [SUE] }],
    rewrites: [],
    scans: [],
    transactional: false,
    note: 'Runs beside reads and writes; refused in a transaction block.',
    verify: {
      setup: BASE_SETUP,
      sql: 'VACUUM t',
      relations: T,
      blocker: 'ShareUpdateExclusiveLock',
    },
  },
  {
    id: 'vacuum-full',
    title: 'VACUUM FULL',
    example: 'VACUUM FULL t',
    locks: [{ on: 'table', modes: [AEL] }],
    rewrites: ['table', 'indexes'],
    scans: ['table'],
    transactional: false,
    note: 'Copies the whole table and rebuilds every index while all reads and writes wait (the indexes are locked too, after the table).',
    verify: { setup: BASE_SETUP, sql: 'VACUUM FULL t', relations: T },
  },
  {
    id: 'analyze',
    title: 'ANALYZE',
    example: 'ANALYZE t',
    locks: [{ on: 'table', modes: [SUE] }],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'Reads a sample of the table.',
    verify: { setup: BASE_SETUP, sql: 'ANALYZE t', relations: T },
  },
  {
    id: 'cluster',
    title: 'CLUSTER … USING',
    example: 'CLUSTER t USING t_a_idx',
    locks: [
      { on: 'table', modes: [AEL] },
      { on: 'indexes', modes: [AEL] },
    ],
    rewrites: ['table', 'indexes'],
    scans: ['table'],
    transactional: true,
    note: 'Rewrites the table in index order and rebuilds every index under ACCESS EXCLUSIVE. CLUSTER without a table name cannot run in a transaction block.',
    verify: { setup: BASE_SETUP, sql: 'CLUSTER t USING t_a_idx', relations: T },
  },
];
