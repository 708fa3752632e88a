/**
 * What `pgwarden fix` writes for a rule's first bad example, for the rule's documentation page:
 * the example linted as pgwarden runs it, rewritten, and shown as the migrations fix would write.
 * Offline (no database): the columns a recipe needs (a renamed column's type) come from the
 * example's `before` SQL; without it such a recipe shows nothing.
 * Call `loadParser()` first.
 */
import { Linter } from '../lint/linter.js';
import type { RuleDefinition } from '../lint/rule.js';
import { parseSqlFile } from '../sql/parse-file.js';
import { modelColumnLookup } from './column-facts.js';
import { FIXABLE_RULES } from './fixable-rules.js';
import { rewriteFile } from './rewrite.js';
import { EXPAND_ID, sequence } from './sequence.js';

export function fixOfExample(rule: RuleDefinition): string | undefined {
  if (!FIXABLE_RULES.has(rule.id)) return undefined;
  for (const entry of rule.examples.bad) {
    const example = typeof entry === 'string' ? { sql: entry } : entry;
    if (example.runner && example.runner !== 'pgwarden') continue;
    const pgMajor = example.pgVersion ?? 15;
    const linter = new Linter({ pgVersion: pgMajor, runner: 'pgwarden' });
    // the columns as they are before the migration (linting it changes the linter's model)
    const earlier = new Linter({ pgVersion: pgMajor, runner: 'pgwarden' });
    if (example.before) {
      linter.lintSource({ path: 'earlier.sql', text: example.before });
      earlier.lintSource({ path: 'earlier.sql', text: example.before });
    }
    const parsed = parseSqlFile({ path: 'migration.sql', text: example.sql });
    const findings = linter.lintParsed(parsed).findings.filter((f) => f.rule === rule.id);
    const { pieces, rewritten } = rewriteFile(parsed, {
      findings,
      offset: 0,
      lineOf: (offset) => parsed.index.position(offset).line,
      pgMajor,
      lookup: modelColumnLookup(earlier.schema),
      subject: 'example',
    });
    if (rewritten.length === 0) continue;
    const steps = sequence(pieces, 'the example', 'example');
    return steps
      .map(
        (step, i) =>
          `Migration ${i + 1} (${step.phase}${step.transaction ? '' : ', outside a transaction'}):\n\n\`\`\`sql\n${step.up.trim()}\n\`\`\``,
      )
      .join('\n\n')
      .replaceAll(EXPAND_ID, '<id of migration 1>');
  }
  return undefined;
}
