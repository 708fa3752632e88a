import type { LockShape } from '../shape.js';
import { BASE_SETUP, T } from './fixture.js';

const AEL = 'AccessExclusiveLock' as const;
const SUE = 'ShareUpdateExclusiveLock' as const;
const SHARE = 'ShareLock' as const;

/** CREATE / DROP / REINDEX / ALTER INDEX. */
export const indexShapes: LockShape[] = [
  {
    id: 'create-index',
    title: 'CREATE [UNIQUE] INDEX',
    example: 'CREATE INDEX t_note_idx ON t (note)',
    locks: [{ on: 'table', modes: [SHARE] }],
    rewrites: [],
    scans: ['table'],
    transactional: true,
    note: 'SHARE blocks every INSERT, UPDATE and DELETE for the whole build; reads go on.',
    verify: { setup: BASE_SETUP, sql: 'CREATE INDEX t_note_idx ON t (note)', relations: T },
  },
  {
    id: 'create-index-concurrently',
    title: 'CREATE [UNIQUE] INDEX CONCURRENTLY',
    example: 'CREATE INDEX CONCURRENTLY t_note_idx ON t (note)',
    locks: [{ on: 'table', modes: [SUE] }],
    rewrites: [],
    scans: ['table'],
    transactional: false,
    note: 'Scans the table twice and waits for older transactions, without blocking reads or writes. Refused in a transaction block and on a partitioned table; a failed build leaves an INVALID index.',
    verify: { setup: BASE_SETUP, sql: 'CREATE INDEX CONCURRENTLY t_note_idx ON t (note)', relations: T },
  },
  {
    id: 'drop-index',
    title: 'DROP INDEX',
    example: 'DROP INDEX t_a_idx',
    locks: [
      { on: 'table', modes: [AEL] },
      { on: 'index', modes: [AEL] },
    ],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'DROP INDEX t_a_idx', relations: { ...T, index: 't_a_idx' } },
  },
  {
    id: 'drop-index-concurrently',
    title: 'DROP INDEX CONCURRENTLY',
    example: 'DROP INDEX CONCURRENTLY t_a_idx',
    locks: [
      { on: 'table', modes: [SUE] },
      { on: 'index', modes: [SUE] },
    ],
    rewrites: [],
    scans: [],
    transactional: false,
    note: 'Waits for queries using the index instead of blocking them; refused in a transaction block. Its last step takes ACCESS EXCLUSIVE on the index, when no query can use it any more.',
    verify: {
      setup: BASE_SETUP,
      sql: 'DROP INDEX CONCURRENTLY t_a_idx',
      relations: { ...T, index: 't_a_idx' },
    },
  },
  {
    id: 'reindex-index',
    title: 'REINDEX INDEX',
    example: 'REINDEX INDEX t_a_idx',
    locks: [
      { on: 'table', modes: [SHARE] },
      { on: 'index', modes: [AEL] },
    ],
    rewrites: ['index'],
    scans: ['table'],
    transactional: true,
    note: 'Writes to the table are blocked, and so is every query that would use the index.',
    verify: { setup: BASE_SETUP, sql: 'REINDEX INDEX t_a_idx', relations: { ...T, index: 't_a_idx' } },
  },
  {
    id: 'reindex-table',
    title: 'REINDEX TABLE',
    example: 'REINDEX TABLE t',
    locks: [
      { on: 'table', modes: [SHARE] },
      { on: 'indexes', modes: [AEL] },
    ],
    rewrites: ['indexes'],
    scans: ['table'],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'REINDEX TABLE t', relations: T },
  },
  {
    id: 'reindex-concurrently',
    title: 'REINDEX … CONCURRENTLY',
    example: 'REINDEX INDEX CONCURRENTLY t_a_idx',
    since: 12,
    locks: [
      { on: 'table', modes: [SUE] },
      { on: 'index', modes: [SUE] },
    ],
    rewrites: ['index'],
    scans: ['table'],
    transactional: false,
    note: 'Builds a new index beside the old one and swaps them, then drops the old one when no query can use it; refused in a transaction block.',
    verify: {
      setup: BASE_SETUP,
      sql: 'REINDEX INDEX CONCURRENTLY t_a_idx',
      relations: { ...T, index: 't_a_idx' },
    },
  },
  {
    id: 'rename-index',
    title: 'ALTER INDEX … RENAME TO',
    example: 'ALTER INDEX t_a_idx RENAME TO t_a_index',
    locks: [{ on: 'index', modes: [SUE] }],
    rewrites: [],
    scans: [],
    transactional: true,
    older: [
      {
        before: 12,
        note: 'before PostgreSQL 12 renaming an index takes ACCESS EXCLUSIVE',
        locks: [{ on: 'index', modes: [AEL] }],
      },
    ],
    verify: {
      setup: BASE_SETUP,
      sql: 'ALTER INDEX t_a_idx RENAME TO t_a_index',
      relations: { ...T, index: 't_a_idx' },
    },
  },
  {
    id: 'alter-index-set',
    title: 'ALTER INDEX … SET (storage_parameter) / SET STATISTICS',
    example: 'ALTER INDEX t_a_idx SET (fillfactor = 80)',
    locks: [{ on: 'index', modes: [SUE] }],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: {
      setup: BASE_SETUP,
      sql: 'ALTER INDEX t_a_idx SET (fillfactor = 80)',
      relations: { ...T, index: 't_a_idx' },
    },
  },
];
