/**
 * The README's zero-downtime walkthrough is what pgwarden prints: examples/zero-downtime on a fresh
 * database, `001_users` applied; `migrate` refused by the lint gate, `fix`, then `migrate` of the
 * five steps. Timings, rates, sizes and the number of batches are compared as shapes; everything else word for word.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const freshDatabase = useFreshDatabases();

/** Numbers that change from run to run (durations, rates, sizes) made into placeholders. */
function shape(text: string): string {
  return (
    text
      .replace(/\d+(\.\d+)? (ms|s|kB|MB|rows\/s)\b/g, '# $2')
      .replace(/ETA \d+(\.\d+)? s/g, 'ETA # s')
      // the batch size adapts to the machine's speed
      .replace(/in \d+ batches/g, 'in # batches')
      .replace(/^\$ .*\n/gm, '')
  );
}

function readmeSection(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Zero-downtime changes');
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

describe('README: zero-downtime walkthrough', () => {
  it('matches what migrate, fix and migrate print on examples/zero-downtime', async () => {
    const db = await freshDatabase();
    const dir = tempDir();
    cpSync(join(root, 'examples/zero-downtime'), dir, { recursive: true });
    const run = (args: string[]) =>
      pgwarden(
        [...args, '--allow-uncommitted'].filter((a) => a !== '--allow-uncommitted' || args[0] === 'migrate'),
        {
          cwd: dir,
          env: { DATABASE_URL: db.url },
        },
      );
    expect((await run(['migrate', '--target', '001_users'])).code).toBe(0);
    const section = shape(readmeSection());

    const refused = await run(['migrate']);
    expect(refused.code).toBe(1);
    expect(section, 'README zero-downtime walkthrough is stale').toContain(shape(refused.stderr.trimEnd()));

    const fixed = await run(['fix', 'migrations/002_verification_token.sql']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(section, 'README zero-downtime walkthrough is stale').toContain(shape(fixed.stdout.trimEnd()));
    expect(section).toContain(
      readFileSync(join(dir, 'migrations/003_backfill_users_verification_token.sql'), 'utf8').trimEnd(),
    );

    const applied = await run(['migrate']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(section, 'README zero-downtime walkthrough is stale').toContain(
      shape(`${applied.stderr}${applied.stdout}`.trimEnd()),
    );
    expect(
      await sqlOn(
        db.url,
        `SELECT count(*)::int AS n, count(DISTINCT verification_token)::int AS tokens FROM users`,
      ),
    ).toEqual([{ n: 20000, tokens: 20000 }]);
  });
});
