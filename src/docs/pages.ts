/** Generated documentation pages besides the per-rule ones (see scripts/gen-docs.mjs). */

import { RULES } from '../lint/rules/index.js';
import { olderNotes, SHAPE_TABLE_HEADER, shapeRow } from '../locks/describe-shape.js';
import { allShapes } from '../locks/lock-table.js';

export function renderRuleIndex(): string {
  const row = (id: string, title: string, level: string) => `| [${id}](${id}.md) | ${title} | ${level} |`;
  const section = (preset: 'recommended' | 'style') =>
    RULES.filter((r) => r.preset === preset).map((r) =>
      row(r.id, r.title.replace(/\|/g, '\\|'), r.defaultLevel),
    );
  return [
    '# Rules',
    '',
    'Generated from `src/lint/rules/*.ts` by `npm run docs`. `pgwarden lint --explain <rule>` prints the same page.',
    '',
    '## Recommended (on by default)',
    '',
    '| rule | what it catches | level |',
    '|---|---|---|',
    ...section('recommended'),
    '',
    '## Style (opt-in: `--preset style` or `"presets": ["style"]`)',
    '',
    '| rule | what it catches | level |',
    '|---|---|---|',
    ...section('style'),
    '',
  ].join('\n');
}

export function renderLockTableDoc(): string {
  const shapes = allShapes();
  const notes = shapes.flatMap(olderNotes);
  return [
    '# Lock table',
    '',
    `What ${shapes.length} statement shapes lock, rewrite and scan on PostgreSQL 15. Generated from \`src/locks/shapes/*.ts\` by \`npm run docs\`; every row is executed on a real server by \`test/locks/lock-table.test.ts\` and compared with \`pg_locks\`, relfilenode changes and sequential-scan counters.`,
    '',
    'ACCESS SHARE locks that planning takes on indexes are left out. For statements that cannot run in a transaction block, the locks are the ones held while the statement waits for other sessions.',
    '',
    SHAPE_TABLE_HEADER,
    ...shapes.map(shapeRow),
    '',
    '## Older versions',
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
