/** The generated documentation in docs/ matches the rule files and the lock table. */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderLockTableDoc, renderRuleIndex } from '../../src/docs/pages.js';
import { FIXABLE_RULES } from '../../src/fix/fixable-rules.js';
import { renderRuleDoc } from '../../src/lint/rule-docs.js';
import { RULES } from '../../src/lint/rules/index.js';
import { loadParser } from '../../src/sql/parser.js';

beforeAll(loadParser);

const read = (path: string) => readFileSync(new URL(`../../docs/${path}`, import.meta.url), 'utf8');
const STALE = 'docs/ is stale: run `npm run docs`';

describe('docs/', () => {
  it('has one page per rule and nothing else', () => {
    const pages = readdirSync(new URL('../../docs/rules/', import.meta.url)).sort();
    expect(pages, STALE).toEqual([...RULES.map((r) => `${r.id}.md`), 'README.md'].sort());
  });

  for (const rule of RULES) {
    it(`rules/${rule.id}.md is up to date`, () => {
      expect(read(`rules/${rule.id}.md`), STALE).toBe(renderRuleDoc(rule));
    });
  }

  it("the page of every rule pgwarden fix rewrites shows fix's output for its example", () => {
    const without = [...FIXABLE_RULES].filter((id) => !read(`rules/${id}.md`).includes('## `pgwarden fix`'));
    expect(without).toEqual([]);
  });

  it('rules/README.md and locks.md are up to date', () => {
    expect(read('rules/README.md'), STALE).toBe(renderRuleIndex());
    expect(read('locks.md'), STALE).toBe(renderLockTableDoc());
  });
});
