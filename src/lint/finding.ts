import type { Level } from './rule.js';
import type { RunnerId } from './runners.js';

/** One problem the linter found. Positions are 1-based; columns count characters. */
export interface Finding {
  rule: string;
  level: Level;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  help?: string;
  fix?: string;
  /** `pgwarden fix` rewrites this finding's statement into the safe sequence of migrations. */
  fixable?: boolean;
  /** Character offsets in the file (for code frames). */
  start: number;
  end: number;
}

export interface FileResult {
  path: string;
  findings: Finding[];
  /** The file's text, for reporters that show code. */
  text: string;
}

export interface LintSummary {
  files: number;
  errors: number;
  warnings: number;
}

export type PgVersionSource = 'option' | 'config' | 'database' | 'default';

export interface LintResult {
  files: FileResult[];
  summary: LintSummary;
  /** The PostgreSQL major the rules assumed, and where it came from. */
  pgVersion: number;
  pgVersionSource: PgVersionSource;
  runner: RunnerId;
  /** True when live facts from a database were used. */
  live: boolean;
}

export function summarize(files: FileResult[]): LintSummary {
  let errors = 0;
  let warnings = 0;
  for (const file of files) {
    for (const finding of file.findings) {
      if (finding.level === 'error') errors++;
      else warnings++;
    }
  }
  return { files: files.length, errors, warnings };
}
