/** SARIF 2.1.0, so code-scanning UIs (GitHub code scanning, GitLab, IDEs) show the findings. */
import { relative, sep } from 'node:path';
import { VERSION } from '../../version.js';
import type { LintResult } from '../finding.js';
import { RULES } from '../rules/index.js';

export function renderSarif(result: LintResult, cwd = process.cwd()): string {
  const used = new Set(result.files.flatMap((f) => f.findings.map((x) => x.rule)));
  const rules = RULES.filter((r) => used.has(r.id));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pgwarden',
            version: VERSION,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.title },
              fullDescription: { text: r.docs.problem },
              help: {
                text: `${r.docs.problem}\n\nSafe alternative:\n${r.docs.safeAlternative}\n\nWhen it is fine: ${r.docs.whenFine}`,
              },
              defaultConfiguration: { level: r.defaultLevel },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: result.files.flatMap((file) =>
          file.findings.map((f) => ({
            ruleId: f.rule,
            ruleIndex: index.get(f.rule),
            level: f.level,
            message: { text: f.help ? `${f.message}. ${f.help}` : f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: toUri(file.path, cwd) },
                  region: {
                    startLine: f.line,
                    startColumn: f.column,
                    endLine: f.endLine,
                    endColumn: f.endColumn,
                  },
                },
              },
            ],
          })),
        ),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2);
}

function toUri(path: string, cwd: string): string {
  const rel = path.startsWith(sep) ? relative(cwd, path) : path;
  return rel.split(sep).map(encodeURIComponent).join('/');
}
