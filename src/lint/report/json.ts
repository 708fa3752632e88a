import type { LintResult } from '../finding.js';

/** The JSON shape of DESIGN §2 (`lint --format json`). */
export function renderJson(result: LintResult): string {
  return JSON.stringify(
    {
      files: result.files.map((file) => ({
        path: file.path,
        findings: file.findings.map((f) => ({
          rule: f.rule,
          level: f.level,
          message: f.message,
          line: f.line,
          column: f.column,
          endLine: f.endLine,
          endColumn: f.endColumn,
          ...(f.help ? { help: f.help } : {}),
          ...(f.fix ? { fix: f.fix } : {}),
        })),
      })),
      summary: result.summary,
    },
    null,
    2,
  );
}
