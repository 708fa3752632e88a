import type { LockShape } from '../shape.js';
import { PARTITIONED_SETUP } from './fixture.js';

const AEL = 'AccessExclusiveLock' as const;
const SUE = 'ShareUpdateExclusiveLock' as const;

const ATTACHED = [...PARTITIONED_SETUP, 'ALTER TABLE m ATTACH PARTITION m_1 FOR VALUES FROM (0) TO (10000)'];
const M_M1 = { parent: 'm', partition: 'm_1' };

/** Declarative partitioning: ATTACH, DETACH, CREATE … PARTITION OF, partitioned indexes. */
export const partitionShapes: LockShape[] = [
  {
    id: 'attach-partition',
    title: 'ALTER TABLE … ATTACH PARTITION (no matching CHECK)',
    example: 'ALTER TABLE m ATTACH PARTITION m_1 FOR VALUES FROM (0) TO (10000)',
    since: 10,
    locks: [
      { on: 'parent', modes: [SUE] },
      { on: 'partition', modes: [AEL] },
    ],
    rewrites: [],
    scans: ['partition'],
    transactional: true,
    note: 'Every row of the new partition is checked against the bounds under ACCESS EXCLUSIVE.',
    older: [
      {
        before: 12,
        note: 'before PostgreSQL 12 the parent is locked ACCESS EXCLUSIVE too',
        locks: [
          { on: 'parent', modes: [AEL] },
          { on: 'partition', modes: [AEL] },
        ],
      },
    ],
    verify: {
      setup: PARTITIONED_SETUP,
      sql: 'ALTER TABLE m ATTACH PARTITION m_1 FOR VALUES FROM (0) TO (10000)',
      relations: { ...M_M1, partitions: 'm_0' },
    },
  },
  {
    id: 'attach-partition-with-check',
    title: 'ALTER TABLE … ATTACH PARTITION with a validated matching CHECK',
    example:
      'ALTER TABLE m ATTACH PARTITION m_1 FOR VALUES FROM (0) TO (10000) -- m_1 has CHECK (k >= 0 AND k < 10000)',
    since: 10,
    locks: [
      { on: 'parent', modes: [SUE] },
      { on: 'partition', modes: [AEL] },
    ],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'A validated CHECK that implies the bounds proves the rows fit: no scan.',
    older: [
      {
        before: 12,
        note: 'before PostgreSQL 12 the parent is locked ACCESS EXCLUSIVE too',
        locks: [
          { on: 'parent', modes: [AEL] },
          { on: 'partition', modes: [AEL] },
        ],
      },
    ],
    verify: {
      setup: [
        ...PARTITIONED_SETUP,
        'ALTER TABLE m_1 ADD CONSTRAINT m_1_bounds CHECK (k IS NOT NULL AND k >= 0 AND k < 10000)',
      ],
      sql: 'ALTER TABLE m ATTACH PARTITION m_1 FOR VALUES FROM (0) TO (10000)',
      relations: { ...M_M1, partitions: 'm_0' },
    },
  },
  {
    id: 'detach-partition',
    title: 'ALTER TABLE … DETACH PARTITION',
    example: 'ALTER TABLE m DETACH PARTITION m_1',
    since: 10,
    locks: [
      { on: 'parent', modes: [AEL] },
      { on: 'partition', modes: [AEL] },
    ],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: {
      setup: ATTACHED,
      sql: 'ALTER TABLE m DETACH PARTITION m_1',
      relations: { ...M_M1, partitions: 'm_0' },
    },
  },
  {
    id: 'detach-partition-concurrently',
    title: 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY',
    example: 'ALTER TABLE m DETACH PARTITION m_1 CONCURRENTLY',
    since: 14,
    locks: [
      { on: 'parent', modes: [SUE] },
      { on: 'partition', modes: [SUE] },
    ],
    rewrites: [],
    scans: [],
    transactional: false,
    note: 'Runs in two transactions, each taking SHARE UPDATE EXCLUSIVE on both tables, and waits in between for older snapshots with no table lock held; cannot run in a transaction block.',
    verify: {
      setup: ATTACHED,
      sql: 'ALTER TABLE m DETACH PARTITION m_1 CONCURRENTLY',
      // Between its two transactions the statement holds no table lock (it waits for older
      // snapshots); holding SHARE UPDATE EXCLUSIVE on the partition makes its first transaction
      // wait with the parent's lock granted and the partition's awaited.
      relations: { ...M_M1, table: 'm_1' },
      blocker: 'ShareUpdateExclusiveLock',
    },
  },
  {
    id: 'create-partition',
    title: 'CREATE TABLE … PARTITION OF',
    example: 'CREATE TABLE m_2 PARTITION OF m FOR VALUES FROM (10000) TO (20000)',
    since: 10,
    locks: [{ on: 'parent', modes: [AEL] }],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'Unlike ATTACH PARTITION, creating a partition locks the parent ACCESS EXCLUSIVE.',
    verify: {
      setup: PARTITIONED_SETUP,
      sql: 'CREATE TABLE m_2 PARTITION OF m FOR VALUES FROM (10000) TO (20000)',
      relations: { parent: 'm', partitions: 'm_0' },
    },
  },
  {
    id: 'create-index-partitioned',
    title: 'CREATE INDEX on a partitioned table',
    example: 'CREATE INDEX m_v_idx ON m (v)',
    since: 11,
    locks: [
      { on: 'parent', modes: ['ShareLock'] },
      { on: 'partitions', modes: ['ShareLock'] },
    ],
    rewrites: [],
    scans: ['partitions'],
    transactional: true,
    note: 'CONCURRENTLY is refused on a partitioned table: build ON ONLY the parent, then each partition concurrently, then ATTACH.',
    verify: {
      setup: ATTACHED,
      sql: 'CREATE INDEX m_v_idx ON m (v)',
      relations: { parent: 'm', partitions: ['m_0', 'm_1'] },
    },
  },
  {
    id: 'create-index-on-only',
    title: 'CREATE INDEX … ON ONLY <partitioned table>',
    example: 'CREATE INDEX m_v_idx ON ONLY m (v)',
    since: 11,
    locks: [{ on: 'parent', modes: ['ShareLock'] }],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'Creates an invalid parent index with no data; partitions are indexed separately and attached.',
    verify: {
      setup: ATTACHED,
      sql: 'CREATE INDEX m_v_idx ON ONLY m (v)',
      relations: { parent: 'm', partitions: ['m_0', 'm_1'] },
    },
  },
  {
    id: 'attach-index-partition',
    title: 'ALTER INDEX … ATTACH PARTITION',
    example: 'ALTER INDEX m_v_idx ATTACH PARTITION m_1_v_idx',
    since: 11,
    locks: [
      { on: 'index', modes: [SUE] },
      { on: 'indexes', modes: [AEL] },
      { on: 'parent', modes: ['AccessShareLock'] },
      { on: 'partition', modes: ['AccessShareLock'] },
    ],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'Catalog-only: the partition index must already exist (built CONCURRENTLY).',
    verify: {
      setup: [...ATTACHED, 'CREATE INDEX m_v_idx ON ONLY m (v)', 'CREATE INDEX m_1_v_idx ON m_1 (v)'],
      sql: 'ALTER INDEX m_v_idx ATTACH PARTITION m_1_v_idx',
      relations: { index: 'm_v_idx', indexes: 'm_1_v_idx', parent: 'm', partition: 'm_1', partitions: 'm_0' },
    },
  },
];
