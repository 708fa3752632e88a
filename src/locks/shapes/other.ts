import type { LockShape } from '../shape.js';
import { BASE_SETUP, T } from './fixture.js';

const AEL = 'AccessExclusiveLock' as const;
const SRE = 'ShareRowExclusiveLock' as const;
const RE = 'RowExclusiveLock' as const;
const WITH_FUNCTION = [
  ...BASE_SETUP,
  'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
];
const WITH_POLICY = [...BASE_SETUP, 'CREATE POLICY t_mine ON t USING (a > 0)'];

/** Triggers, policies, comments, grants, sequences and data changes. */
export const otherShapes: LockShape[] = [
  {
    id: 'create-trigger',
    title: 'CREATE TRIGGER',
    example: 'CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()',
    locks: [{ on: 'table', modes: [SRE] }],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: {
      setup: WITH_FUNCTION,
      sql: 'CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()',
      relations: T,
    },
  },
  {
    id: 'drop-trigger',
    title: 'DROP TRIGGER',
    example: 'DROP TRIGGER t_touch ON t',
    locks: [{ on: 'table', modes: [AEL] }],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: {
      setup: [
        ...WITH_FUNCTION,
        'CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()',
      ],
      sql: 'DROP TRIGGER t_touch ON t',
      relations: T,
    },
  },
  {
    id: 'create-policy',
    title: 'CREATE POLICY',
    example: 'CREATE POLICY t_mine ON t USING (owner = current_user)',
    locks: [{ on: 'table', modes: [AEL] }],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'CREATE POLICY t_mine ON t USING (a > 0)', relations: T },
  },
  {
    id: 'alter-drop-policy',
    title: 'ALTER POLICY / DROP POLICY',
    example: 'DROP POLICY t_mine ON t',
    locks: [{ on: 'table', modes: [AEL] }],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: WITH_POLICY, sql: 'DROP POLICY t_mine ON t', relations: T },
  },
  {
    id: 'comment-on',
    title: 'COMMENT ON TABLE / COLUMN',
    example: "COMMENT ON COLUMN t.a IS 'the a value'",
    locks: [{ on: 'table', modes: ['ShareUpdateExclusiveLock'] }],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: "COMMENT ON COLUMN t.a IS 'the a value'", relations: T },
  },
  {
    id: 'grant-revoke',
    title: 'GRANT / REVOKE on a table',
    example: 'GRANT SELECT ON t TO PUBLIC',
    locks: [],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'Privileges change in the catalog without a table lock.',
    verify: { setup: BASE_SETUP, sql: 'GRANT SELECT ON t TO PUBLIC', relations: T },
  },
  {
    id: 'alter-sequence',
    title: 'ALTER SEQUENCE',
    example: 'ALTER SEQUENCE t_seq RESTART WITH 1000',
    locks: [{ on: 'sequence', modes: ['ShareRowExclusiveLock'] }],
    rewrites: ['sequence'],
    scans: [],
    transactional: true,
    verify: {
      setup: [...BASE_SETUP, 'CREATE SEQUENCE t_seq'],
      sql: 'ALTER SEQUENCE t_seq RESTART WITH 1000',
      relations: { ...T, sequence: 't_seq' },
    },
  },
  {
    id: 'update',
    title: 'UPDATE (without a usable index)',
    example: 'UPDATE t SET note = upper(note)',
    locks: [
      { on: 'table', modes: [RE] },
      { on: 'indexes', modes: [RE] },
    ],
    rewrites: [],
    scans: ['table'],
    transactional: true,
    note: 'Row locks on every updated row until commit; other writers of those rows wait.',
    verify: { setup: BASE_SETUP, sql: 'UPDATE t SET note = upper(note)', relations: T },
  },
  {
    id: 'delete',
    title: 'DELETE (without a usable index)',
    example: "DELETE FROM t WHERE note = 'obsolete'",
    locks: [
      { on: 'table', modes: [RE] },
      { on: 'indexes', modes: [RE] },
    ],
    rewrites: [],
    scans: ['table'],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: "DELETE FROM t WHERE note = 'obsolete'", relations: T },
  },
  {
    id: 'insert',
    title: 'INSERT … VALUES',
    example: 'INSERT INTO t (id, a) VALUES (5000, 1)',
    locks: [{ on: 'table', modes: [RE] }],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: 'INSERT INTO t (id, a) VALUES (5000, 1)', relations: T },
  },
  {
    id: 'lock-table',
    title: 'LOCK TABLE … IN ACCESS EXCLUSIVE MODE (the mode named)',
    example: 'LOCK TABLE t IN ACCESS EXCLUSIVE MODE',
    locks: [{ on: 'table', modes: ['AccessExclusiveLock'] }],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'Takes exactly the mode it names (ACCESS EXCLUSIVE when none is named) and holds it until the transaction ends.',
    verify: { setup: BASE_SETUP, sql: 'LOCK TABLE t', relations: T },
  },
  {
    id: 'insert-select',
    title: 'INSERT … SELECT',
    example: 'INSERT INTO archive SELECT * FROM t',
    locks: [
      { on: 'table', modes: [RE] },
      { on: 'source', modes: ['AccessShareLock'] },
    ],
    rewrites: [],
    scans: ['source'],
    transactional: true,
    verify: {
      setup: [...BASE_SETUP, 'CREATE TABLE archive (LIKE t)'],
      sql: 'INSERT INTO archive SELECT * FROM t',
      relations: { table: 'archive', source: 't', indexes: ['t_pkey', 't_a_idx', 't_v_idx'] },
    },
  },
];
