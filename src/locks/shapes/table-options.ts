import type { LockShape } from '../shape.js';
import { BASE_SETUP, T } from './fixture.js';

const AEL = 'AccessExclusiveLock' as const;
const SUE = 'ShareUpdateExclusiveLock' as const;
const SRE = 'ShareRowExclusiveLock' as const;
const onTable = [{ on: 'table' as const, modes: [AEL] }];
const rewriteAll = {
  locks: [
    { on: 'table' as const, modes: [AEL] },
    { on: 'indexes' as const, modes: [AEL] },
  ],
  rewrites: ['table' as const, 'indexes' as const],
};
const WITH_TRIGGER = [
  ...BASE_SETUP,
  'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
  'CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()',
];

/** ALTER TABLE subcommands that change the table as a whole. */
export const tableOptionShapes: LockShape[] = [
  {
    id: 'rename-table',
    title: 'ALTER TABLE … RENAME TO',
    example: 'ALTER TABLE t RENAME TO t_old',
    locks: onTable,
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'ALTER TABLE t RENAME TO t_old', relations: T },
  },
  {
    id: 'set-schema',
    title: 'ALTER TABLE … SET SCHEMA',
    example: 'ALTER TABLE t SET SCHEMA archive',
    locks: onTable,
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'ALTER TABLE t SET SCHEMA public', relations: T },
  },
  {
    id: 'set-unlogged',
    title: 'ALTER TABLE … SET UNLOGGED',
    example: 'ALTER TABLE t SET UNLOGGED',
    ...rewriteAll,
    scans: ['table'],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'ALTER TABLE t SET UNLOGGED', relations: T },
  },
  {
    id: 'set-logged',
    title: 'ALTER TABLE … SET LOGGED',
    example: 'ALTER TABLE t SET LOGGED',
    ...rewriteAll,
    scans: ['table'],
    transactional: true,
    note: 'The whole table is copied and written to the WAL.',
    verify: {
      setup: [...BASE_SETUP, 'ALTER TABLE t SET UNLOGGED'],
      sql: 'ALTER TABLE t SET LOGGED',
      relations: T,
    },
  },
  {
    id: 'set-tablespace',
    title: 'ALTER TABLE … SET TABLESPACE',
    example: 'ALTER TABLE t SET TABLESPACE fast_ssd',
    locks: onTable,
    rewrites: ['table'],
    scans: [],
    transactional: true,
    note: "The table's files are copied block by block; its indexes stay where they are.",
    verify: {
      before: ['SET allow_in_place_tablespaces = on', "CREATE TABLESPACE pgwarden_lock_lab LOCATION ''"],
      after: ['DROP TABLESPACE IF EXISTS pgwarden_lock_lab'],
      setup: BASE_SETUP,
      sql: 'ALTER TABLE t SET TABLESPACE pgwarden_lock_lab',
      relations: T,
    },
  },
  {
    id: 'set-access-method',
    title: 'ALTER TABLE … SET ACCESS METHOD',
    example: 'ALTER TABLE t SET ACCESS METHOD columnar',
    since: 15,
    ...rewriteAll,
    scans: ['table'],
    transactional: true,
    verify: {
      setup: [...BASE_SETUP, 'CREATE ACCESS METHOD heap_lab TYPE TABLE HANDLER heap_tableam_handler'],
      sql: 'ALTER TABLE t SET ACCESS METHOD heap_lab',
      relations: T,
      after: ['DROP ACCESS METHOD IF EXISTS heap_lab CASCADE'],
    },
  },
  {
    id: 'set-storage-parameters',
    title: 'ALTER TABLE … SET / RESET (storage_parameter)',
    example: 'ALTER TABLE t SET (fillfactor = 70)',
    locks: [{ on: 'table', modes: [SUE] }],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'fillfactor and autovacuum settings take SHARE UPDATE EXCLUSIVE; a few other parameters take ACCESS EXCLUSIVE.',
    verify: { setup: BASE_SETUP, sql: 'ALTER TABLE t SET (fillfactor = 70)', relations: T },
  },
  {
    id: 'cluster-on',
    title: 'ALTER TABLE … CLUSTER ON / SET WITHOUT CLUSTER',
    example: 'ALTER TABLE t CLUSTER ON t_a_idx',
    locks: [
      { on: 'table', modes: [SUE] },
      { on: 'index', modes: [SUE] },
    ],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'Only marks the index for a later CLUSTER.',
    verify: {
      setup: BASE_SETUP,
      sql: 'ALTER TABLE t CLUSTER ON t_a_idx',
      relations: { ...T, index: 't_a_idx' },
    },
  },
  {
    id: 'replica-identity',
    title: 'ALTER TABLE … REPLICA IDENTITY',
    example: 'ALTER TABLE t REPLICA IDENTITY FULL',
    locks: onTable,
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'ALTER TABLE t REPLICA IDENTITY FULL', relations: T },
  },
  {
    id: 'row-level-security',
    title: 'ALTER TABLE … ENABLE / DISABLE / FORCE ROW LEVEL SECURITY',
    example: 'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
    locks: onTable,
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'ALTER TABLE t ENABLE ROW LEVEL SECURITY', relations: T },
  },
  {
    id: 'enable-disable-trigger',
    title: 'ALTER TABLE … ENABLE / DISABLE TRIGGER',
    example: 'ALTER TABLE t DISABLE TRIGGER t_touch',
    locks: [{ on: 'table', modes: [SRE] }],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: WITH_TRIGGER, sql: 'ALTER TABLE t DISABLE TRIGGER t_touch', relations: T },
  },
  {
    id: 'owner-to',
    title: 'ALTER TABLE … OWNER TO',
    example: 'ALTER TABLE t OWNER TO app_owner',
    locks: onTable,
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'ALTER TABLE t OWNER TO CURRENT_USER', relations: T },
  },
  {
    id: 'inherit',
    title: 'ALTER TABLE … INHERIT / NO INHERIT',
    example: 'ALTER TABLE t INHERIT base',
    locks: [
      { on: 'table', modes: [AEL] },
      { on: 'parent', modes: [SUE] },
    ],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: {
      setup: [...BASE_SETUP, 'CREATE TABLE base (id bigint)'],
      sql: 'ALTER TABLE t INHERIT base',
      relations: { ...T, parent: 'base' },
    },
  },
];
