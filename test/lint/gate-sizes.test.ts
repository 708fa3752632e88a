/**
 * What the lint gate tells the linter about a run (src/migrate/lint-gate.ts): tables created by an
 * earlier migration of the run are new (`newAcrossFiles`), and live tables counted small
 * (`smallTable`, `rowsCounted`) turn size-dependent errors into warnings that say why. Rules whose
 * harm does not depend on size stay errors; a live table counted empty takes a required column.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SchemaModel } from '../../src/analysis/schema-model.js';
import { Linter } from '../../src/lint/linter.js';
import { loadParser } from '../../src/sql/parser.js';
import { liveModel } from '../support/live-model.js';

beforeAll(loadParser);

const SMALL = { rows: 100, bytes: 1024 * 1024 };

const live = (rowsCounted: number | undefined, totalBytes = 16_384) =>
  liveModel('accounts', { rowEstimate: rowsCounted, rowsCounted, totalBytes });

function lint(files: string[], options: { schema?: SchemaModel; across?: boolean; small?: boolean }) {
  const linter = new Linter({
    ...(options.schema ? { schema: options.schema } : {}),
    newAcrossFiles: options.across === true,
    smallTable: options.small ? SMALL : undefined,
  });
  return files.flatMap((text, i) =>
    linter
      .lintSource({ path: `00${i}.sql`, text })
      .findings.map((f) => `${i} ${f.level} ${f.rule}: ${f.message}`),
  );
}

describe('the lint gate: a fresh environment and small tables', () => {
  it('a table created by an earlier migration of the run is new: no size-dependent error on it', () => {
    const files = [
      'CREATE TABLE users (id bigint PRIMARY KEY, email text);',
      'CREATE INDEX users_email ON users (email);\nALTER TABLE users ADD COLUMN plan text NOT NULL;',
    ];
    const alone = lint(files, {});
    expect(alone.filter((f) => f.includes(' error '))).toEqual([
      expect.stringContaining('1 error require-concurrent-index-creation'),
      expect.stringContaining('1 error adding-required-field'),
    ]);
    expect(lint(files, { across: true }).filter((f) => f.includes(' error '))).toEqual([]);
  });

  it('a live table counted small: size-dependent errors become warnings that say why', () => {
    const sql = ['CREATE INDEX accounts_id ON accounts (id);'];
    expect(lint(sql, { schema: live(3), small: true })).toEqual([
      expect.stringMatching(
        /^0 warning require-concurrent-index-creation: .*\(not an outage risk: accounts is small here: 3 rows, 16 kB\)$/,
      ),
    ]);
    // over the limit in rows or bytes, not counted, or no limit given: the error stays
    for (const schema of [live(101), live(3, 2 * 1024 * 1024), live(undefined)])
      expect(lint(sql, { schema, small: true })).toEqual([
        expect.stringMatching(/^0 error require-concurrent-index-creation: /),
      ]);
    expect(lint(sql, { schema: live(3) })).toEqual([expect.stringMatching(/^0 error /)]);
  });

  it('a rule whose harm does not depend on size stays an error on a small table', () => {
    // DROP INDEX without CONCURRENTLY queues every query of the table behind its lock, whatever the size
    const schema = live(3);
    schema.indexes.set('public.accounts_id', {
      key: 'public.accounts_id',
      name: 'accounts_id',
      schema: 'public',
      table: 'accounts',
      columns: ['id'],
      unique: false,
      valid: true,
    });
    expect(lint(['DROP INDEX accounts_id;'], { schema, small: true })).toEqual([
      expect.stringMatching(/^0 error require-concurrent-index-deletion: /),
    ]);
  });

  it('a live table counted empty takes a NOT NULL column without a default; one with a row does not', () => {
    const sql = ['ALTER TABLE accounts ADD COLUMN plan text NOT NULL;'];
    expect(lint(sql, { schema: live(0), small: true })).toEqual([]);
    expect(lint(sql, { schema: live(1), small: true })).toEqual([
      expect.stringMatching(/^0 error adding-required-field: /),
    ]);
  });
});
