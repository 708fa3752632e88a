/**
 * `pgwarden fix` through the CLI on a real server, beyond the incident (fix-formats.test.ts): a
 * table made outside the folder; SET NOT NULL, FOREIGN KEY, UNIQUE, CREATE/DROP INDEX and an
 * UPDATE after DDL in one file; renames with their contract step; refusals — nothing changed.
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

  it('SET NOT NULL, FOREIGN KEY, UNIQUE, CREATE/DROP INDEX and an UPDATE after DDL, in one file', async () => {
    const change = `UPDATE users SET name = 'anonymous' WHERE name IS NULL;
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX orders_user ON orders (user_id);
DROP INDEX orders_old;
ALTER TABLE users ADD COLUMN tier text;
UPDATE users SET tier = 'basic';`;
    const { fixture, db, unsafe } = await project('plain', change);
    const fixed = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    const result = JSON.parse(fixed.stdout);
    expect(result.remaining.filter((f: { level: string }) => f.level === 'error')).toEqual([]);
    expect(
      result.migrations.map(
        (m: { phase: string; transaction: boolean }) => `${m.phase}${m.transaction ? '' : ' alone'}`,
      ),
    ).toEqual([
      'expand',
      'backfill alone',
      'index alone',
      'index alone',
      'index alone',
      'constrain',
      'validate',
      'tighten',
    ]);
    const applied = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
    expect(await dataOf(db.url)).toEqual(await dataOf(unsafe.url));
  });

  it('renames: expand with a sync trigger or a view, contract in the next run; old and new names work in between', async () => {
    const change =
      'ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE orders RENAME TO purchases;';
    const { fixture, db, unsafe } = await project('dbmate', change);
    const fixed = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    const result = JSON.parse(fixed.stdout);
    expect(result.migrations.map((m: { phase: string }) => m.phase)).toEqual([
      'expand',
      'backfill',
      'contract',
    ]);
    expect(result.remaining.filter((f: { level: string }) => f.level === 'error')).toEqual([]);
    expect(result.migrations[2].files[0].text).toContain(
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
    await sqlOn(db.url, 'DELETE FROM users WHERE id = 9001; DELETE FROM purchases WHERE id = 9001;');

    const contract = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
    expect(contract.code, contract.stderr).toBe(0);
    expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
    expect(await dataOf(db.url, 'purchases')).toEqual(await dataOf(unsafe.url, 'purchases'));
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
