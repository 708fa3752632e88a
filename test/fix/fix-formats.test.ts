/**
 * `pgwarden fix` in every supported format, through the CLI on a real server, on one migration
 * that holds every recipe: the incident (ADD COLUMN … NOT NULL DEFAULT <volatile>), SET NOT NULL,
 * FOREIGN KEY, UNIQUE, CREATE/DROP INDEX, an UPDATE after DDL, a type change (with USING, of a
 * serial column and of a nullable one), RENAME COLUMN and RENAME TABLE. The safe sequence is
 * written in the folder's layout and lints clean; `migrate` stops before the contract step and
 * the run after it gives the schema and data of the unsafe migration.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_FORMATS, type RunnerFormat } from '../faults/runner-support.js';
import { dataOf, fixProjects, INCIDENT, run, schemaOf } from './support.js';

const EVERY_RECIPE = `${INCIDENT}
UPDATE users SET name = 'anonymous' WHERE name IS NULL;
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX orders_user ON orders (user_id);
DROP INDEX orders_old;
ALTER TABLE users ADD COLUMN tier text;
UPDATE users SET tier = 'basic';
ALTER TABLE accounts ALTER COLUMN balance TYPE bigint, ALTER COLUMN code TYPE varchar(40) USING lower(code);
ALTER TABLE labels RENAME COLUMN title TO caption;
ALTER TABLE tags RENAME TO topics;`;

const { project } = fixProjects();

/** The runner fault tests' formats, and the two whose runs the fault tests leave out (time). */
const FORMATS: RunnerFormat[] = [...ALL_FORMATS, 'sql-migrate', 'diesel'];

describe('pgwarden fix, in every format', () => {
  for (const format of FORMATS) {
    it(`${format}: every recipe, written in the folder's layout; migrate gives the schema and data of the unsafe migration`, async () => {
      const { fixture, db, unsafe } = await project(format, EVERY_RECIPE);
      if (format === FORMATS[0]) {
        const listing = () => readdirSync(fixture.dir, { recursive: true }).map(String).sort();
        const before = listing();
        const dry = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--dry-run']);
        expect(dry.code, dry.stderr).toBe(0);
        expect(dry.stdout).toContain('Would rewrite (dry run)');
        expect(listing()).toEqual(before);
      }

      const fixed = await run(fixture, db.url, ['fix', fixture.ids[1]!, '--json']);
      expect(fixed.code, fixed.stderr).toBe(0);
      const result = JSON.parse(fixed.stdout);
      expect(result.written).toBe(true);
      expect(result.declined).toEqual([]);
      // every flagged statement rewritten, each into the phases of its recipe
      expect(result.rewritten.map((r: { phases: string[] }) => r.phases.join(' '))).toEqual(REWRITTEN);
      expect(result.remaining.filter((f: { level: string }) => f.level === 'error')).toEqual([]);
      for (const file of result.original.removed) expect(existsSync(file)).toBe(false);

      const expand = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
      expect(expand.code, expand.stderr).toBe(0);
      expect(expand.stdout).toContain('stopped before the contract step');
      expect(expand.stderr).toContain('backfill done: 500 rows updated of 500');
      const contract = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
      expect(contract.code, contract.stderr).toBe(0);
      expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
      expect(await dataOf(db.url)).toEqual(await dataOf(unsafe.url));
    });
  }
});

/** The phases each flagged statement of EVERY_RECIPE becomes, in the file's order. */
const REWRITTEN = [
  'expand backfill constrain validate tighten', // the incident
  'backfill', // UPDATE after DDL
  'constrain validate tighten', // SET NOT NULL
  'constrain validate', // FOREIGN KEY
  'index constrain', // UNIQUE
  'index', // CREATE INDEX
  'index', // DROP INDEX
  'backfill', // the second UPDATE after DDL
  'expand backfill constrain validate tighten contract', // type changes, one of a NOT NULL column
  'expand backfill contract', // RENAME COLUMN
  'expand contract', // RENAME TABLE
];
