/**
 * A role whose password is full of URL delimiters (space, @, #, /, %, &, ?, =, :) around a marker
 * that every encoding of it keeps, for the password fault tests: scan argv and outputs for
 * `core`, and the password is found whether it was written raw or percent-encoded.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll } from 'vitest';
import { type OwnCluster, sql } from './support.js';

export interface HostileRole {
  role: string;
  password: string;
  /** The part of the password that percent-encoding leaves as it is. */
  core: string;
}

/** Creates the role (a superuser: backups with globals, restores, scratch databases) in `beforeAll`. */
export function useHostileRole(own: OwnCluster, role = 'warden_app'): HostileRole {
  const core = `Pw${randomBytes(8).toString('hex')}`;
  const password = `${core} p@ss#w/rd%&?=:x`;
  beforeAll(async () => {
    await sql(own.url, `CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password.replace(/'/g, "''")}'`);
  });
  return { role, password, core };
}

/** A migration that creates and fills a table. */
export const ACCOUNTS_MIGRATION = `CREATE TABLE accounts (id int PRIMARY KEY, note text);
INSERT INTO accounts SELECT g, 'row ' || g FROM generate_series(1, 200) g;
`;
