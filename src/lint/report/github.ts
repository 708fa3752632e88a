import type { LintResult } from '../finding.js';

/** GitHub Actions workflow commands: one `::error`/`::warning` annotation per finding. */
export function renderGithub(result: LintResult): string {
  const lines: string[] = [];
  for (const file of result.files) {
    for (const f of file.findings) {
      const props = [
        `file=${property(file.path)}`,
        `line=${f.line}`,
        `col=${f.column}`,
        `endLine=${f.endLine}`,
        `endColumn=${f.endColumn}`,
        `title=${property(`pgwarden ${f.rule}`)}`,
      ].join(',');
      const text = f.help ? `${f.message}\n${f.help}` : f.message;
      lines.push(`::${f.level === 'error' ? 'error' : 'warning'} ${props}::${data(text)}`);
    }
  }
  return lines.join('\n');
}

function data(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function property(value: string): string {
  return data(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
