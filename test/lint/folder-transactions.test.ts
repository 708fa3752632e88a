/**
 * Lint of a migrations folder models each file's transactions as its tool runs it: a file the
 * tool runs without a transaction (dbmate `transaction:false`, sql-migrate `notransaction`, diesel
 * `run_in_transaction = false`) is linted so — for the tool's runner, sent as one query (dbmate,
 * diesel: several statements are one implicit transaction) or statement by statement
 * (sql-migrate); for pgwarden's runner, each statement alone.
 */
import { describe, expect, it } from 'vitest';
import { wholeFolder } from '../../src/lint/folder-targets.js';
import { lint } from '../../src/lint/lint.js';
import { tempDir } from '../support/files.js';

const TWO_INDEXES =
  'CREATE INDEX CONCURRENTLY users_email ON users (email);\nCREATE INDEX CONCURRENTLY users_name ON users (name);';
const ONE_INDEX = 'CREATE INDEX CONCURRENTLY users_email ON users (email);';
const TABLE = 'CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);';

const dbmate = (up: string, options = '') => `-- migrate:up${options}\n${up}\n\n-- migrate:down${options}\n`;

async function rulesFor(files: Record<string, string>, runner?: string): Promise<string[]> {
  const cwd = tempDir(files);
  const targets = await wholeFolder(cwd, {});
  const result = await lint({
    paths: targets.paths,
    sources: targets.sources!,
    ...(runner ? { runner } : {}),
  });
  return result.files
    .flatMap((file) => file.findings)
    .filter((f) => f.level === 'error')
    .map((f) => f.rule);
}

const IN_TRANSACTION = 'ban-concurrent-index-creation-in-transaction';

describe('a file the tool runs without a transaction', () => {
  it('dbmate transaction:false: one statement is fine for dbmate; two are one implicit transaction', async () => {
    const one = {
      'db/migrations/20240101000000_users.sql': dbmate(TABLE),
      'db/migrations/20240102000000_index.sql': dbmate(ONE_INDEX, ' transaction:false'),
    };
    expect(await rulesFor(one, 'dbmate')).toEqual([]);
    const two = {
      'db/migrations/20240101000000_users.sql': dbmate(TABLE),
      'db/migrations/20240102000000_index.sql': dbmate(TWO_INDEXES, ' transaction:false'),
    };
    expect(await rulesFor(two, 'dbmate')).toEqual([IN_TRANSACTION, IN_TRANSACTION]);
    // pgwarden runs each statement alone
    expect(await rulesFor(two)).toEqual([]);
    // without the directive dbmate runs the section in its transaction
    const inTransaction = {
      'db/migrations/20240101000000_users.sql': dbmate(TABLE),
      'db/migrations/20240102000000_index.sql': dbmate(ONE_INDEX),
    };
    expect(await rulesFor(inTransaction, 'dbmate')).toEqual([IN_TRANSACTION]);
  });

  it('sql-migrate notransaction: the statements are sent one by one', async () => {
    const files = {
      'migrations/1_users.sql': `-- +migrate Up\n${TABLE}\n-- +migrate Down\nDROP TABLE users;\n`,
      'migrations/2_index.sql': `-- +migrate Up notransaction\n${TWO_INDEXES}\n-- +migrate Down\n`,
    };
    expect(await rulesFor(files, 'sql-migrate')).toEqual([]);
    const inTransaction = { ...files, 'migrations/2_index.sql': `-- +migrate Up\n${ONE_INDEX}\n` };
    expect(await rulesFor(inTransaction, 'sql-migrate')).toEqual([IN_TRANSACTION]);
  });

  it('diesel run_in_transaction = false: up.sql is one query', async () => {
    const files = {
      'diesel.toml': '[migrations_directory]\ndir = "migrations"\n',
      'migrations/2024-01-01-000000_users/up.sql': TABLE,
      'migrations/2024-01-01-000000_users/down.sql': 'DROP TABLE users;',
      'migrations/2024-01-02-000000_index/up.sql': ONE_INDEX,
      'migrations/2024-01-02-000000_index/down.sql': 'DROP INDEX users_email;',
      'migrations/2024-01-02-000000_index/metadata.toml': 'run_in_transaction = false\n',
    };
    expect(await rulesFor(files, 'diesel')).toEqual([]);
    const two = { ...files, 'migrations/2024-01-02-000000_index/up.sql': TWO_INDEXES };
    expect(await rulesFor(two, 'diesel')).toEqual([IN_TRANSACTION, IN_TRANSACTION]);
    expect(await rulesFor(two)).toEqual([]);
  });
});
