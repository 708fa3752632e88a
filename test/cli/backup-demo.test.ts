/** The README's backup walkthrough (`node examples/backup-demo.mjs`) runs and prints what the README shows. */
import { describe, expect, it } from 'vitest';
import { readmeQuotes, runExample } from '../support/examples.js';

/** Ids, times, sizes, ports, checksums and ages change from run to run. */
function normalize(text: string): string {
  return text
    .replace(/\d{8}T\d{6}Z/g, 'ID')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, 'DATE')
    .replace(/\d+(\.\d+)? (B|kB|MB|GB|TB)\b/g, 'SIZE')
    .replace(/\d+(\.\d+)? (s|min|h|d)\b/g, 'TIME')
    .replace(/:\d+\//g, ':PORT/')
    .replace(/\d+ rows written/g, 'N rows written')
    .replace(/sha256 [0-9a-f]{16}…, \d+ bytes/g, 'sha256 HASH')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('examples/backup-demo.mjs', () => {
  it('boots its own PostgreSQL, shows backup, list, verify, a restore preview and prune; the README matches it', async () => {
    const { code, output } = await runExample('backup-demo.mjs');
    expect(code, output).toBe(0);
    expect(output).toContain('yes (full-read)');
    expect(output).toMatch(/public\.orders\s+5090\s+5000\s+-90/);
    const quoted = readmeQuotes(
      'lets the "application" write, drops an old SQLite',
      'On your own database: `DATABASE_URL=postgres://… npx pgwarden backup create`',
    );
    expect(quoted.length).toBeGreaterThan(25);
    const printed = normalize(output);
    for (const line of quoted)
      expect(printed, 'README backup walkthrough is stale').toContain(normalize(line));
  }, 60_000);
});
