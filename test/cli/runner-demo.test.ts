/** The README's runner walkthrough (`node examples/runner-demo.mjs`) runs and prints what the README shows. */
import { describe, expect, it } from 'vitest';
import { readmeQuotes, runExample } from '../support/examples.js';

describe('examples/runner-demo.mjs', () => {
  it('boots its own PostgreSQL, shows status, plan and migrate, and the README matches it', async () => {
    const { code, output } = await runExample('runner-demo.mjs');
    expect(code, output).toBe(0);
    expect(output).toContain('Applied 2 migrations.');
    expect(output).toContain('3 applied, 0 pending');
    // every output line the README quotes is still printed (timings and dates aside)
    const quoted = readmeQuotes('It applies the first quick-start migration', 'On your own database').filter(
      (line) => !line.includes('…'),
    );
    expect(quoted.length).toBeGreaterThan(15);
    const normalize = (text: string) =>
      text.replace(/\d+ ms/g, 'N ms').replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, 'DATE');
    const printed = normalize(output);
    for (const line of quoted)
      expect(printed, 'README runner walkthrough is stale').toContain(normalize(line));
  }, 60_000);
});
