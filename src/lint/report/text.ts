/** The human format: each finding with the statement, a marker, the lock it takes, help and fix. */
import { createColors } from 'picocolors';
import { escapeControls } from '../../sql/quote.js';
import type { FileResult, Finding, LintResult } from '../finding.js';

export interface TextOptions {
  color: boolean;
  /** Only the summary line. */
  quiet?: boolean;
}

const MAX_LINES = 4;

export function renderText(result: LintResult, options: TextOptions): string {
  const c = createColors(options.color);
  const out: string[] = [];
  if (!options.quiet) {
    for (const file of result.files)
      for (const finding of file.findings) out.push(renderFinding(file, finding, c), '');
  }
  const { errors, warnings, files } = result.summary;
  const context = `PostgreSQL ${result.pgVersion}${result.pgVersionSource === 'default' ? ' (default; set --pg-version or connect with --database-url)' : ` (from ${result.pgVersionSource})`}, runner ${result.runner}${result.live ? ', live schema' : ''}`;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'file')}`;
  if (errors > 0) out.push(c.red(c.bold(`✖ ${counts}`)) + c.dim(` — ${context}`));
  else if (warnings > 0) out.push(c.yellow(c.bold(`⚠ ${counts}`)) + c.dim(` — ${context}`));
  else out.push(c.green(c.bold(`✔ ${counts}`)) + c.dim(` — ${context}`));
  return out.join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function renderFinding(file: FileResult, f: Finding, c: ReturnType<typeof createColors>): string {
  const levelText = f.level === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
  const lines = [
    `${levelText}${c.bold(`[${f.rule}]`)}: ${c.bold(f.message)}`,
    c.blue(`  --> ${file.path}:${f.line}:${f.column}`),
  ];
  const source = file.text.split('\n');
  const last = Math.min(f.endLine, f.line + MAX_LINES - 1, source.length);
  const width = String(last).length;
  const gutter = (n?: number) =>
    c.blue(`${n === undefined ? ' '.repeat(width) : String(n).padStart(width)} |`);
  lines.push(gutter());
  for (let n = f.line; n <= last; n++) {
    const text = escapeControls((source[n - 1] ?? '').replace(/\t/g, ' ').replace(/\r$/, ''));
    lines.push(`${gutter(n)} ${text}`);
    if (n === f.line) {
      const from = f.column - 1;
      const to =
        f.endLine === f.line
          ? Math.max(f.endColumn - 1, from + 1)
          : Math.max(text.trimEnd().length, from + 1);
      lines.push(
        `${gutter()} ${' '.repeat(from)}${(f.level === 'error' ? c.red : c.yellow)('^'.repeat(to - from))}`,
      );
    }
  }
  if (f.endLine > last) lines.push(`${gutter()} ${c.dim('…')}`);
  if (f.help) lines.push(`${' '.repeat(width + 1)}${c.cyan('= help:')} ${f.help}`);
  if (f.fix) {
    const fixLines = f.fix.split('\n').map(escapeControls);
    lines.push(`${' '.repeat(width + 1)}${c.green('= fix:')} ${fixLines[0]}`);
    for (const extra of fixLines.slice(1)) lines.push(`${' '.repeat(width + 8)}${extra}`);
  }
  if (f.fixable) {
    lines.push(
      `${' '.repeat(width + 1)}${c.green('= pgwarden fix:')} writes this as the safe sequence of migrations (pgwarden fix <migration>)`,
    );
  }
  return lines.join('\n');
}
