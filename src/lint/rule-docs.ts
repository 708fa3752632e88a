/**
 * The documentation page of a rule (docs/rules/<id>.md and `pgwarden lint --explain <id>`).
 * Call `loadParser()` first: a rule whose findings `pgwarden fix` rewrites shows its output.
 */

import { fixOfExample } from '../fix/rule-example.js';
import { olderNotes, SHAPE_TABLE_HEADER, shapeRow } from '../locks/describe-shape.js';
import { getShape } from '../locks/lock-table.js';
import type { Example, RuleDefinition } from './rule.js';
import { RULE_ALIASES } from './rules/index.js';

function example(e: string | Example): string {
  const ex = typeof e === 'string' ? { sql: e } : e;
  const notes = [
    ex.pgVersion ? `PostgreSQL ${ex.pgVersion}` : undefined,
    ex.runner ? `runner ${ex.runner}` : undefined,
  ].filter(Boolean);
  const context = ex.before ? `-- earlier migration:\n${ex.before.trim()}\n-- this migration:\n` : '';
  return `${notes.length ? `<sub>${notes.join(', ')}</sub>\n\n` : ''}\`\`\`sql\n${context}${ex.sql.trim()}\n\`\`\``;
}

export function renderRuleDoc(rule: RuleDefinition): string {
  const aliases = Object.entries(RULE_ALIASES)
    .filter(([, ids]) => ids.includes(rule.id))
    .map(([alias]) => `\`${alias}\``);
  const parts = [
    `# ${rule.id}`,
    '',
    `**${rule.title}** — default level: \`${rule.defaultLevel}\`, preset: \`${rule.preset}\`${rule.preset === 'style' ? ' (opt-in)' : ''}`,
    '',
    '## Problem',
    '',
    rule.docs.problem,
    '',
  ];
  if (rule.shapes.length > 0) {
    const shapes = rule.shapes.map(getShape);
    parts.push(
      '## Locks',
      '',
      'Verified against PostgreSQL 15 by the test suite (pg_locks, relfilenode changes, scan counters).',
      '',
    );
    parts.push(SHAPE_TABLE_HEADER, ...shapes.map(shapeRow), '');
    const notes = shapes.flatMap(olderNotes);
    if (notes.length > 0) parts.push('On older versions:', '', ...notes.map((n) => `- ${n}`), '');
  }
  parts.push('## Safe alternative', '', `\`\`\`sql\n${rule.docs.safeAlternative.trim()}\n\`\`\``, '');
  parts.push('## When it is fine', '', rule.docs.whenFine, '');
  parts.push('## Examples', '', '### Reported', '', ...rule.examples.bad.flatMap((e) => [example(e), '']));
  parts.push('### Not reported', '', ...rule.examples.good.flatMap((e) => [example(e), '']));
  const fixed = fixOfExample(rule);
  if (fixed) {
    parts.push(
      '## `pgwarden fix`',
      '',
      "In a pending migration, `pgwarden fix <migration>` rewrites the first reported example into these migrations, in the project's format (see [zero-downtime changes](../zero-downtime.md)):",
      '',
      fixed,
      '',
    );
  }
  parts.push(
    '## Ignoring it',
    '',
    `\`\`\`sql\n-- pgwarden-ignore ${rule.id}: <why this is safe here>\n\`\`\``,
    '',
    `on the line before the statement, or \`-- pgwarden-ignore-file ${rule.id}\` anywhere in the file. squawk's \`-- squawk-ignore ${rule.id}\` works too${aliases.length ? `, as do the aliases ${aliases.join(', ')}` : ''}. In \`pgwarden.config.json\`: \`{ "lint": { "rules": { "${rule.id}": "off" } } }\`.`,
    '',
  );
  return parts.join('\n');
}
