/** Linting on several threads gives exactly what linting one file after the other gives. */
import { join } from 'node:path';
// the built package: worker threads run the compiled lint-worker.js
import { lint } from 'pgwarden';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';

// each file depends on the schema the earlier ones built: tables, column types, constraints
const files: Record<string, string> = {};
for (let i = 0; i < 120; i++) {
  const n = String(i).padStart(3, '0');
  files[`m/${n}_a.sql`] =
    i % 3 === 0
      ? `CREATE TABLE t${i} (id int PRIMARY KEY, name varchar(20));\nCREATE INDEX t${i}_name ON t${i} (name);`
      : i % 3 === 1
        ? `ALTER TABLE t${i - 1} ALTER COLUMN name TYPE varchar(40);\nALTER TABLE t${i - 1} ALTER COLUMN id TYPE bigint;\nCREATE INDEX t${i - 1}_id ON t${i - 1} (id);`
        : `ALTER TABLE t${i - 2} ADD CONSTRAINT c${i} CHECK (id > 0) NOT VALID;\nALTER TABLE t${i - 2} VALIDATE CONSTRAINT c${i};\nALTER TABLE t${i - 2} ALTER COLUMN name SET NOT NULL;`;
}

describe('parallel lint', () => {
  it('finds the same findings in the same order as one thread', async () => {
    const dir = tempDir(files);
    const one = await lint({ paths: [join(dir, 'm')], jobs: 1 });
    const three = await lint({ paths: [join(dir, 'm')], jobs: 3 });
    expect(one.summary.errors).toBeGreaterThan(50);
    expect(three).toEqual(one);
    // the schema carried across chunks: varchar widening after CREATE TABLE in an earlier file is fine
    expect(
      one.files.flatMap((f) => f.findings).filter((f) => f.message.includes('varchar(20) → varchar(40)')),
    ).toEqual([]);
  });

  it('reports the first bad file, as one thread does', async () => {
    const dir = tempDir({
      ...files,
      'm/100_b.sql': Buffer.from([0x53, 0xff, 0x0a]),
      'm/050_b.sql': Buffer.from([0x41, 0xfe]),
    });
    const one = await lint({ paths: [join(dir, 'm')], jobs: 1 }).catch((e) => e);
    const three = await lint({ paths: [join(dir, 'm')], jobs: 3 }).catch((e) => e);
    expect(one.code).toBe('FILE_NOT_UTF8');
    expect(one.message).toContain('050_b.sql');
    expect(three.code).toBe(one.code);
    expect(three.message).toBe(one.message);
  });
});
