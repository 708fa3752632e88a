import type { LockShape } from '../shape.js';
import { BASE_SETUP, T } from './fixture.js';

const WITH_ENUM = [
  ...BASE_SETUP,
  "CREATE TYPE mood AS ENUM ('sad', 'happy')",
  'ALTER TABLE t ADD COLUMN m mood',
];
const WITH_DOMAIN = [
  ...BASE_SETUP,
  'CREATE DOMAIN positive_int AS int',
  'ALTER TABLE t ALTER COLUMN a TYPE positive_int',
];

/** Enums and domains. */
export const typeShapes: LockShape[] = [
  {
    id: 'create-enum',
    title: 'CREATE TYPE … AS ENUM',
    example: "CREATE TYPE mood AS ENUM ('sad', 'happy')",
    locks: [],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: "CREATE TYPE mood AS ENUM ('sad', 'happy')", relations: T },
  },
  {
    id: 'enum-add-value',
    title: 'ALTER TYPE … ADD VALUE',
    example: "ALTER TYPE mood ADD VALUE 'calm' AFTER 'sad'",
    locks: [],
    rewrites: [],
    scans: [],
    transactional: true,
    note: 'No table lock. Since PostgreSQL 12 it may run in a transaction block, but the new value cannot be used until that transaction commits.',
    older: [
      { before: 12, note: 'before PostgreSQL 12 it cannot run in a transaction block', transactional: false },
    ],
    verify: { setup: WITH_ENUM, sql: "ALTER TYPE mood ADD VALUE 'calm' AFTER 'sad'", relations: T },
  },
  {
    id: 'enum-rename-value',
    title: 'ALTER TYPE … RENAME VALUE',
    example: "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'",
    since: 10,
    locks: [],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: WITH_ENUM, sql: "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'", relations: T },
  },
  {
    id: 'create-domain',
    title: 'CREATE DOMAIN [… CHECK (…)]',
    example: "CREATE DOMAIN email AS text CHECK (value LIKE '%@%')",
    locks: [],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: { setup: BASE_SETUP, sql: "CREATE DOMAIN email AS text CHECK (value LIKE '%@%')", relations: T },
  },
  {
    id: 'alter-domain-add-constraint',
    title: 'ALTER DOMAIN … ADD CONSTRAINT',
    example: 'ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (value > 0)',
    locks: [{ on: 'table', modes: ['ShareLock'] }],
    rewrites: [],
    scans: ['table'],
    transactional: true,
    note: 'Every column of every table that uses the domain is checked, blocking writes to those tables.',
    verify: {
      setup: WITH_DOMAIN,
      sql: 'ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (value > 0)',
      relations: T,
    },
  },
  {
    id: 'alter-domain-add-constraint-not-valid',
    title: 'ALTER DOMAIN … ADD CONSTRAINT … NOT VALID',
    example: 'ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (value > 0) NOT VALID',
    locks: [],
    rewrites: [],
    scans: [],
    transactional: true,
    verify: {
      setup: WITH_DOMAIN,
      sql: 'ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (value > 0) NOT VALID',
      relations: T,
    },
  },
  {
    id: 'alter-domain-validate-constraint',
    title: 'ALTER DOMAIN … VALIDATE CONSTRAINT',
    example: 'ALTER DOMAIN positive_int VALIDATE CONSTRAINT positive',
    locks: [{ on: 'table', modes: ['ShareLock'] }],
    rewrites: [],
    scans: ['table'],
    transactional: true,
    note: 'Unlike VALIDATE on a table constraint, this blocks writes to every table using the domain while they are scanned.',
    verify: {
      setup: [
        ...WITH_DOMAIN,
        'ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (value > 0) NOT VALID',
      ],
      sql: 'ALTER DOMAIN positive_int VALIDATE CONSTRAINT positive',
      relations: T,
    },
  },
  {
    id: 'alter-domain-set-not-null',
    title: 'ALTER DOMAIN … SET NOT NULL',
    example: 'ALTER DOMAIN positive_int SET NOT NULL',
    locks: [{ on: 'table', modes: ['ShareLock'] }],
    rewrites: [],
    scans: ['table'],
    transactional: true,
    verify: { setup: WITH_DOMAIN, sql: 'ALTER DOMAIN positive_int SET NOT NULL', relations: T },
  },
];
