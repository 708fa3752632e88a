#!/usr/bin/env node
/**
 * Writes docs/rules/<id>.md (one page per rule, from the rule files), docs/rules/README.md
 * (the index) and docs/locks.md (the lock table). Run `npm run docs` after changing a rule or
 * the lock table; test/docs/docs.test.ts fails when the committed pages are stale.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { renderLockTableDoc, renderRuleIndex } from '../dist/docs/pages.js';
import { renderRuleDoc } from '../dist/lint/rule-docs.js';
import { RULES } from '../dist/lint/rules/index.js';
import { loadParser } from '../dist/sql/parser.js';

await loadParser();

const dir = new URL('../docs/rules/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) rmSync(new URL(file, dir));
for (const rule of RULES) writeFileSync(new URL(`${rule.id}.md`, dir), renderRuleDoc(rule));
writeFileSync(new URL('README.md', dir), renderRuleIndex());
writeFileSync(new URL('../docs/locks.md', import.meta.url), renderLockTableDoc());
console.log(`wrote ${RULES.length} rule pages, docs/rules/README.md and docs/locks.md`);
