/**
 * `pgwarden fix` through the CLI on a real server, beyond every recipe in every format
 * (fix-formats.test.ts): a table made outside the folder; what the app sees between the expand
 * and the contract steps of renames and type changes; refusals and declined recipes — nothing
 * changed.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatFixture } from '../faults/runner-support.js';
import { sqlOn } from '../support/database.js';
import { dataOf, fixProjects, INCIDENT, run, SETUP, schemaOf } from './support.js';

const { freshDatabase, project } = fixProjects();

describe('pgwarden fix', () => {
  it('a table made outside the migrations folder: the steps lint clean against the live schema', async () => {
    const fixture = formatFixture('plain', [{ name: 'change', sql: INCIDENT }]);
    const db = await freshDatabase();
    const unsafe = await freshDatabase();
    await sqlOn(db.url, SETUP);
    await sqlOn(unsafe.url, `${SETUP}\n${INCIDENT}`);
    const fixed = await run(fixture, db.url, ['fix', fixture.ids[0]!, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout).remaining.filter((f: { level: string }) => f.level === 'error')).toEqual(
      [],
    );
    const applied = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
  });

  it('renames and type changes: expand with a sync trigger or a view, contract in the next run; old and new app versions work in between', async () => {
    const change = `ALTER TABLE users RENAME COLUMN name TO full_name;
ALTER TABLE orders RENAME TO purchases;
ALTER TABLE accounts ALTER COLUMN balance TYPE bigint, ALTER COLUMN code TYPE varchar(40) USING lower(code);
ALTER TABLE labels RENAME COLUMN title TO caption;`;
    const { fixture, db, unsafe } = await project('dbmate', change);
    const fixed = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    const result = JSON.parse(fixed.stdout);
    expect(result.migrations.map((m: { phase: string }) => m.phase)).toEqual([
      'expand',
      'backfill',
      'backfill',
      'backfill',
      'backfill',
      'constrain',
      'validate',
      'tighten',
      'contract',
    ]);
    expect(result.remaining.filter((f: { level: string }) => f.level === 'error')).toEqual([]);
    expect(result.migrations[8].files[0].text).toContain(
      `-- pgwarden:contract after=${result.migrations[0].id}`,
    );

    const expand = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(expand.code, expand.stderr).toBe(0);
    expect(expand.stdout).toContain('stopped before the contract step');
    // the app version still running writes the old names; the new one reads the new names
    await sqlOn(
      db.url,
      `INSERT INTO users (id, email, name) VALUES (9001, 'old@example.com', 'written old')`,
    );
    await sqlOn(db.url, `INSERT INTO orders (id, user_id) VALUES (9001, 9001)`);
    expect(await sqlOn(db.url, 'SELECT full_name FROM users WHERE id = 9001')).toEqual([
      { full_name: 'written old' },
    ]);
    await sqlOn(db.url, `UPDATE users SET full_name = 'written new' WHERE id = 9001`);
    expect(await sqlOn(db.url, 'SELECT name FROM users WHERE id = 9001')).toEqual([{ name: 'written new' }]);
    expect(await sqlOn(db.url, 'SELECT count(*)::int AS n FROM purchases WHERE id = 9001')).toEqual([
      { n: 1 },
    ]);
    // a default stays the old column's until the contract step: each version's insert keeps both equal
    await sqlOn(
      db.url,
      `INSERT INTO labels (id) VALUES (9001); INSERT INTO labels (id, caption) VALUES (9002, 'new')`,
    );
    expect(await sqlOn(db.url, 'SELECT id, title, caption FROM labels WHERE id > 9000 ORDER BY id')).toEqual([
      { id: '9001', title: 'untitled', caption: 'untitled' },
      { id: '9002', title: 'new', caption: 'new' },
    ]);
    // the app writes the column under its own name; the trigger converts into the new one
    await sqlOn(db.url, `INSERT INTO accounts (id, code) VALUES (9001, 'MiXed')`);
    await sqlOn(db.url, `UPDATE accounts SET code = 'UPPER' WHERE id = 1`);
    expect(
      await sqlOn(
        db.url,
        'SELECT id, code, code_pgwarden_new, balance = balance_pgwarden_new AS same FROM accounts WHERE id IN (1, 2, 9001) ORDER BY id',
      ),
    ).toEqual([
      { id: '1', code: 'UPPER', code_pgwarden_new: 'upper', same: true },
      { id: '2', code: 'Code-2', code_pgwarden_new: 'code-2', same: true },
      { id: '9001', code: 'MiXed', code_pgwarden_new: 'mixed', same: true },
    ]);
    await sqlOn(
      db.url,
      `DELETE FROM users WHERE id = 9001; DELETE FROM purchases WHERE id = 9001; DELETE FROM labels WHERE id > 9000;
       DELETE FROM accounts WHERE id = 9001; UPDATE accounts SET code = 'Code-1' WHERE id = 1`,
    );

    const contract = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(contract.code, contract.stderr).toBe(0);
    expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
    expect(await dataOf(db.url)).toEqual(await dataOf(unsafe.url));
    // the serial column kept its sequence, used once per row meanwhile: a new row gets the next value
    expect(await sqlOn(db.url, `INSERT INTO accounts (id) VALUES (9003) RETURNING balance`)).toEqual([
      { balance: '402' },
    ]);
  });

  it('declines a type change or rename it cannot do safely, saying why: nothing changed', async () => {
    const { fixture, db } = await project(
      'plain',
      'ALTER TABLE orders ALTER COLUMN user_id TYPE text;\nCREATE INDEX labels_title ON labels (title);\nALTER TABLE labels RENAME TO stickers;',
    );
    const before = readdirSync(fixture.dir).sort();
    const fixed = await run(fixture, db.url, ['fix', fixture.ids[1]!]);
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toContain(
      'line 1 is kept as written: column orders.user_id is used by an index, constraint, view, trigger or policy',
    );
    expect(fixed.stderr).toContain(
      'line 3 is kept as written: other statements of the file use public.labels; pgwarden fix rewrites a rename or a type change in a migration of its own',
    );
    expect(readdirSync(fixture.dir).sort()).toEqual(before);
    expect(
      await sqlOn(db.url, `SELECT to_regclass('stickers') AS t, to_regclass('labels_title') AS i`),
    ).toEqual([{ t: null, i: null }]);
  });

  it('refuses an applied migration and one with nothing to rewrite: nothing changed', async () => {
    const { fixture, db } = await project('plain', 'CREATE TABLE audit (id bigint PRIMARY KEY);');
    const files = () => readdirSync(fixture.dir).sort();
    const before = files();
    const nothing = await run(fixture, db.url, ['fix', fixture.ids[1]!]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('has no lint findings pgwarden fix rewrites');
    const applied = await run(fixture, db.url, ['fix', fixture.ids[0]!]);
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain('is applied: pgwarden fix rewrites pending migrations only');
    expect(files()).toEqual(before);
    expect(await sqlOn(db.url, `SELECT to_regclass('audit') AS t`)).toEqual([{ t: null }]);
  });
});
