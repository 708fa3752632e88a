/** The README's deploy walkthrough (`node examples/deploy-demo.mjs`) runs and prints what the README shows. */
import { describe, expect, it } from 'vitest';
import { readmeQuotes, runExample } from '../support/examples.js';

/** Timings, backup ids, ports, scratch database names and version strings change between runs. */
function normalize(text: string): string {
  return text
    .replace(/\d+ ms\b/g, 'N ms')
    .replace(/\d{8}T\d{6}Z/g, 'ID')
    .replace(/127\.0\.0\.1:\d+/g, 'HOST')
    .replace(/pgwarden_scratch_[0-9a-f]+/g, 'SCRATCH')
    .replace(/PostgreSQL 15\.\d+ \([^)]*\)/g, 'PostgreSQL 15.x')
    .replace(/pg_dump 15\.\d+ \([^)]*\)/g, 'pg_dump 15.x')
    .replace(/ as \w+ \(/g, ' as ROLE (');
}

describe('examples/deploy-demo.mjs', () => {
  it('boots its own PostgreSQL, shows init, doctor, deploy, a hand-made change caught by doctor, drift and deploy; the README matches it', async () => {
    const { code, output } = await runExample('deploy-demo.mjs');
    expect(code, output).toBe(0);
    expect(output).toContain('server listening on :3000');
    expect(output).toContain('ALTER TABLE "public"."users" DROP COLUMN "nickname";');
    const quoted = readmeQuotes(
      '`doctor`, `drift` and the next start (a restart: nothing pending)',
      'What it guarantees:',
    );
    expect(quoted.length).toBeGreaterThan(50);
    const printed = normalize(output);
    for (const line of quoted)
      expect(printed, 'README deploy walkthrough is stale').toContain(normalize(line));
  }, 90_000);
});
