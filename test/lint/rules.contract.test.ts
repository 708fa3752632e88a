/**
 * The contract every rule keeps: its id is its file name, its docs are complete, every bad
 * example makes it fire, every good example leaves it quiet, and every fix it offers parses.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintText } from '../../src/lint/lint.js';
import type { Example } from '../../src/lint/rule.js';
import { RULES } from '../../src/lint/rules/index.js';
import { getShape } from '../../src/locks/lock-table.js';
import { loadParser, parseSql } from '../../src/sql/parser.js';

const files = readdirSync(new URL('../../src/lint/rules/', import.meta.url))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.slice(0, -3));

function asExample(example: string | Example): Example {
  return typeof example === 'string' ? { sql: example } : example;
}

async function findingsOf(ruleId: string, example: Example) {
  const result = await lintText(example.sql, {
    pgVersion: example.pgVersion ?? 15,
    runner: example.runner ?? 'pgwarden',
    rules: { [ruleId]: 'error' },
    ...(example.before ? { before: example.before } : {}),
  });
  return result.findings.filter((f) => f.rule === ruleId);
}

describe('rule registry', () => {
  it('registers every rule file, in alphabetical order, with unique ids', () => {
    expect(RULES.map((r) => r.id)).toEqual([...files].sort());
    expect(RULES.map((r) => r.id)).toEqual([...RULES.map((r) => r.id)].sort());
  });
});

for (const rule of RULES) {
  describe(rule.id, () => {
    it('has complete docs and examples', () => {
      expect(rule.title.length).toBeGreaterThan(5);
      for (const field of ['problem', 'safeAlternative', 'whenFine'] as const) {
        expect(rule.docs[field], field).not.toMatch(/^TODO/);
        expect(rule.docs[field].length, field).toBeGreaterThan(20);
      }
      expect(rule.examples.bad.length).toBeGreaterThan(0);
      expect(rule.examples.good.length).toBeGreaterThan(0);
      for (const shape of rule.shapes) expect(() => getShape(shape)).not.toThrow();
    });

    for (const [i, raw] of rule.examples.bad.entries()) {
      it(`bad example ${i + 1} is reported`, async () => {
        const findings = await findingsOf(rule.id, asExample(raw));
        expect(findings.length, asExample(raw).sql).toBeGreaterThan(0);
        for (const finding of findings) {
          expect(finding.message.length).toBeGreaterThan(10);
          if (finding.fix) {
            await loadParser();
            expect(parseSql(finding.fix), finding.fix).toHaveProperty('stmts');
          }
        }
      });
    }

    for (const [i, raw] of rule.examples.good.entries()) {
      it(`good example ${i + 1} is not reported`, async () => {
        const findings = await findingsOf(rule.id, asExample(raw));
        expect(
          findings.map((f) => f.message),
          asExample(raw).sql,
        ).toEqual([]);
      });
    }
  });
}
