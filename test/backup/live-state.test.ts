/**
 * The check after a failed restore (live-state.ts): a transaction that was rolled back leaves the
 * state equal; a committed drop and re-creation (same names, same row counts) is caught by the
 * OIDs, a changed row count, a new or a missing object by name; a check that cannot be made is
 * `unknown`, never "as it was"; the sentences say exactly what was checked.
 */
import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  checkState,
  checkStateAfterFailure,
  compareLiveState,
  describeStateCheck,
  type LiveState,
  readLiveState,
} from '../../src/backup/live-state.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';

const freshDatabase = useFreshDatabases();

async function stateOf(url: string): Promise<LiveState> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await readLiveState(client);
  } finally {
    await client.end();
  }
}

describe('the state check after a failed restore', () => {
  let target: { name: string; url: string };
  let before: LiveState;

  beforeEach(async () => {
    target = await freshDatabase();
    await sqlOn(
      target.url,
      `CREATE SCHEMA app;
       CREATE TABLE app.users (id serial PRIMARY KEY, name text);
       INSERT INTO app.users (name) SELECT 'u' || g FROM generate_series(1, 120) g;
       CREATE VIEW app.names AS SELECT name FROM app.users;`,
    );
    before = await stateOf(target.url);
  });

  it('reads every schema, relation (with its OID) and the exact rows of each table', () => {
    expect(before.tables).toEqual([{ schema: 'app', name: 'users', rows: 120, estimated: false }]);
    const names = before.objects.map((o) => `${o.kind}:${o.schema}.${o.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'schema:.app',
        'schema:.public',
        'r:app.users',
        'v:app.names',
        'S:app.users_id_seq',
        'i:app.users_pkey',
      ]),
    );
  });

  it('unchanged after a transaction that was rolled back (what a failed restore leaves)', async () => {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('DROP SCHEMA app CASCADE');
    await client.query('CREATE SCHEMA app');
    await client.query('ROLLBACK');
    await client.end();
    const check = await checkStateAfterFailure(target.url, before);
    expect(check).toEqual({ state: 'unchanged', objects: before.objects.length, tables: 1, notCompared: 0 });
    expect(describeStateCheck(check, target.name)).toBe(
      `Checked after the failure: "${target.name}" is as it was before the restore — the same ${before.objects.length} schemas, extensions and relations (same OIDs) and the same row counts in its 1 tables.`,
    );
  });

  it('on a connection that is still open (new connections may be blocked then)', async () => {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      await sqlOn(target.url, "INSERT INTO app.users (name) VALUES ('late')");
      expect(await checkState(client, before)).toEqual({
        state: 'changed',
        differences: ['app.users has 121 rows, 120 before'],
      });
    } finally {
      await client.end();
    }
    expect((await checkState(client, before)).state).toBe('unknown'); // the connection is gone
  });

  it('a committed drop and re-creation with the same names and rows is caught by the OIDs', async () => {
    await sqlOn(
      target.url,
      `DROP SCHEMA app CASCADE; CREATE SCHEMA app;
       CREATE TABLE app.users (id serial PRIMARY KEY, name text);
       INSERT INTO app.users (name) SELECT 'u' || g FROM generate_series(1, 120) g;
       CREATE VIEW app.names AS SELECT name FROM app.users;`,
    );
    const check = await checkStateAfterFailure(target.url, before);
    expect(check.state).toBe('changed');
    const differences = check.state === 'changed' ? check.differences : [];
    expect(differences).toContain('schema app was dropped and created again');
    expect(differences).toContain('app.users was dropped and created again');
    expect(describeStateCheck(check, target.name)).toMatch(
      new RegExp(
        `^Checked after the failure: "${target.name}" is NOT as it was before the restore: .*app\\.users was dropped and created again`,
      ),
    );
  });

  it('changed rows, a new table and a missing view, by name', async () => {
    await sqlOn(
      target.url,
      `DELETE FROM app.users WHERE id > 100; CREATE TABLE public.later (x int); DROP VIEW app.names`,
    );
    const after = await stateOf(target.url);
    expect(compareLiveState(before, after).differences).toEqual([
      'app.names is gone',
      'public.later did not exist before',
      'app.users has 100 rows, 120 before',
    ]);
  });

  it('unknown when the check cannot be made: never a claim that it is as it was', async () => {
    const url = new URL(target.url);
    url.pathname = '/pgwarden_test_no_such_database';
    const check = await checkStateAfterFailure(url.toString(), before);
    expect(check.state).toBe('unknown');
    expect(describeStateCheck(check, target.name)).toMatch(
      new RegExp(
        `^The state of "${target.name}" after the failure could not be checked \\(.+\\): do not assume it is as it was\\.$`,
      ),
    );
  });

  it('rows of a table too big to count in time are said not to be compared', () => {
    const estimated: LiveState = { ...before, tables: before.tables.map((t) => ({ ...t, estimated: true })) };
    expect(compareLiveState(estimated, before)).toEqual({ differences: [], notCompared: 1 });
    expect(
      describeStateCheck({ state: 'unchanged', objects: 5, tables: 1, notCompared: 1 }, 'shop'),
    ).toContain('(the rows of 1 table(s) too big to count in time were not compared)');
  });
});
