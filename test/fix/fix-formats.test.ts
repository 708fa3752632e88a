/**
 * `pgwarden fix` on the incident migration (ADD COLUMN … NOT NULL DEFAULT <volatile> on a table
 * with rows) in every supported format, through the CLI on a real server: the safe sequence is
 * written in the folder's layout, lints clean, and `migrate` gives the schema and data of the
 * unsafe migration.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_FORMATS } from '../faults/runner-support.js';
import { dataOf, fixProjects, INCIDENT, run, schemaOf } from './support.js';

const { project } = fixProjects();

describe('pgwarden fix, in every format', () => {
  for (const format of ALL_FORMATS) {
    it(`${format}: the incident migration becomes the safe sequence; migrate gives the schema and data of the unsafe one`, async () => {
      const { fixture, db, unsafe } = await project(format, INCIDENT);
      if (format === ALL_FORMATS[0]) {
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
      expect(result.migrations.map((m: { phase: string }) => m.phase)).toEqual([
        'expand',
        'backfill',
        'constrain',
        'validate',
        'tighten',
      ]);
      expect(result.remaining.filter((f: { level: string }) => f.level === 'error')).toEqual([]);
      for (const file of result.original.removed) expect(existsSync(file)).toBe(false);

      const applied = await run(fixture, db.url, ['migrate', '--allow-uncommitted']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stderr).toContain('backfill done: 500 rows updated of 500');
      expect(await schemaOf(db.url)).toEqual(await schemaOf(unsafe.url));
      expect(await dataOf(db.url)).toEqual(await dataOf(unsafe.url));
    });
  }
});
