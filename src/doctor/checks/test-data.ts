/**
 * `test-data`: rows that look like test data in the database the doctor checks — dates beyond a
 * horizon, placeholder names, e-mails at test domains, batch ids (the rules: test-data/patterns.ts).
 * Every user table is read through a bounded sample (test-data/sampling.ts), so a big table costs
 * a few pages; migration history tables, schema pgwarden and extension tables are left alone.
 * Each finding names table, column, why, how many sampled rows and up to 3 masked examples.
 *
 * Config doctor.testData: level (fail by default; warn or off), sampleRows (1000), futureDays
 * (365), names and emailDomains (added to the defaults), ignore ("schema.table" or
 * "schema.table.column"; a name compares as written or folded to lower case, like an unquoted
 * SQL identifier).
 */
import type pg from 'pg';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { displayIdent } from '../../sql/quote.js';
import { migrationHistoryTables } from '../test-data/history-tables.js';
import { maskValue } from '../test-data/masking.js';
import {
  buildPatterns,
  classifyText,
  isDomainName,
  normalize,
  normalizeDomain,
  REASON_TEXT,
  type TextPatterns,
  type TextReason,
} from '../test-data/patterns.js';
import {
  type CandidateTable,
  listCandidateTables,
  type SamplePlan,
  sampleTable,
} from '../test-data/sampling.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped } from './migrations.js';

export const DEFAULT_SAMPLE_ROWS = 1000;
export const DEFAULT_FUTURE_DAYS = 365;
const MAX_EXAMPLES = 3;
const DAY_MS = 86_400_000;

export type TestDataReason = TextReason | 'future-date';

export interface TestDataOptions {
  /** rows read per table (default 1000) */
  sampleRows?: number | undefined;
  /** dates later than now + futureDays are test data (default 365) */
  futureDays?: number | undefined;
  /** placeholder values added to the defaults */
  names?: string[] | undefined;
  /** test e-mail domains added to the defaults */
  emailDomains?: string[] | undefined;
  /** "schema.table" or "schema.table.column" to leave alone */
  ignore?: string[] | undefined;
  /** the moment the horizon counts from (default: now) */
  now?: Date | undefined;
  /** where the migration history lives (its tables are left alone); default: any format's */
  migrations?: DoctorContext['migrations'] | undefined;
}

export interface TestDataFinding {
  /** `schema.table`, each name quoted when it is not a plain lower-case word (src/sql/quote.ts) */
  table: string;
  /** the column's name, quoted the same way */
  column: string;
  reason: TestDataReason;
  /** sampled rows with such a value in this column */
  matched: number;
  /** rows sampled from the table */
  sampled: number;
  /** up to 3 distinct values, masked (dates as they are) */
  examples: string[];
}

export interface SampledTable {
  table: string;
  rows: number;
  plan: SamplePlan;
}

export interface TestDataReport {
  findings: TestDataFinding[];
  /** every table read, with how */
  sampled: SampledTable[];
  /** tables or columns not read, and why (no privilege, locked, an error) */
  skipped: Array<{ table: string; reason: string }>;
  /** migration history tables left alone */
  historyTables: string[];
  /** ignore entries that matched no table or column (a typo?) */
  unusedIgnores: string[];
  /** dates after this are test data */
  horizon: Date;
}

function configError(problem: string, hint: string): PgwardenError {
  return new PgwardenError('CONFIG_INVALID', `doctor.testData.${problem}`, { hint });
}

function positiveInt(value: number | undefined, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw configError(
      `${key}: ${value} is not a whole number of at least 1`,
      `Set ${key} to e.g. ${fallback}.`,
    );
  return value;
}

interface IgnoreEntry {
  entry: string;
  parts: string[];
  used: boolean;
}

function parseIgnores(ignore: readonly string[]): IgnoreEntry[] {
  return ignore.map((entry) => {
    const parts = entry.trim().split('.');
    if ((parts.length !== 2 && parts.length !== 3) || parts.some((p) => p === '')) {
      throw configError(
        `ignore: "${entry}" is neither "schema.table" nor "schema.table.column"`,
        'Name the table with its schema, e.g. "public.users", or one column, e.g. "public.users.email".',
      );
    }
    return { entry, parts, used: false };
  });
}

/** A name as written, or folded to lower case like an unquoted identifier. */
function sameName(written: string, actual: string): boolean {
  return written === actual || written.toLowerCase() === actual;
}

function ignored(entries: IgnoreEntry[], path: string[]): boolean {
  let hit = false;
  for (const e of entries) {
    if (e.parts.length <= path.length && e.parts.every((p, i) => sameName(p, path[i]!))) {
      e.used = true;
      hit = true;
    }
  }
  return hit;
}

function validated(options: TestDataOptions) {
  const names = options.names ?? [];
  const blank = names.find((n) => normalize(n) === '');
  if (blank !== undefined)
    throw configError('names: an empty name would match every empty value', 'Remove the empty entry.');
  const domains = options.emailDomains ?? [];
  const bad = domains.find((d) => !isDomainName(normalizeDomain(d)));
  if (bad !== undefined) {
    throw configError(
      `emailDomains: "${bad}" is not a domain`,
      'Write a domain such as "acme-test.com" (its subdomains match too).',
    );
  }
  return {
    sampleRows: positiveInt(options.sampleRows, DEFAULT_SAMPLE_ROWS, 'sampleRows'),
    futureDays: positiveInt(options.futureDays, DEFAULT_FUTURE_DAYS, 'futureDays'),
    patterns: buildPatterns(names, domains),
    ignores: parseIgnores(options.ignore ?? []),
  };
}

/** Counts and examples per column and reason, over the rows of one sample. */
function findingsOf(table: CandidateTable, rows: Array<Array<string | null>>, patterns: TextPatterns) {
  const found = new Map<string, TestDataFinding & { seen: Set<string> }>();
  for (const row of rows) {
    table.columns.forEach((column, i) => {
      const value = row[i];
      if (value === null || value === undefined) return;
      const reason = column.kind === 'date' ? 'future-date' : classifyText(value, patterns);
      if (!reason) return;
      const key = `${column.name}\u0000${reason}`;
      let f = found.get(key);
      if (!f) {
        f = {
          table: table.display,
          column: displayIdent(column.name),
          reason,
          matched: 0,
          sampled: rows.length,
          examples: [],
          seen: new Set(),
        };
        found.set(key, f);
      }
      f.matched++;
      if (f.examples.length < MAX_EXAMPLES && !f.seen.has(value)) {
        f.seen.add(value);
        f.examples.push(reason === 'future-date' ? value : maskValue(value));
      }
    });
  }
  // in the table's column order (a column's reasons in the order they were first seen)
  const position = new Map(table.columns.map((c, i) => [displayIdent(c.name), i]));
  return [...found.values()]
    .sort((a, b) => position.get(a.column)! - position.get(b.column)!)
    .map(({ seen: _seen, ...f }) => f);
}

function why(error: unknown): string {
  const e = error as { code?: string; message?: string };
  if (e.code === '55P03') return 'locked by another session (lock_timeout); not read';
  if (e.code === '57014') return 'reading the sample took too long (statement_timeout); not read';
  return `could not be read: ${e.message ?? String(error)}`;
}

/**
 * Samples every user table and reports the values that look like test data. Read-only; each
 * table in its own short transaction, so call it outside one. CONFIG_INVALID for bad options.
 */
export async function findTestData(
  client: pg.Client,
  options: TestDataOptions = {},
): Promise<TestDataReport> {
  const { sampleRows, futureDays, patterns, ignores } = validated(options);
  const horizon = new Date((options.now ?? new Date()).getTime() + futureDays * DAY_MS);
  const historyTables = await migrationHistoryTables(client, options.migrations);
  const report: TestDataReport = {
    findings: [],
    sampled: [],
    skipped: [],
    historyTables,
    unusedIgnores: [],
    horizon,
  };
  for (const candidate of await listCandidateTables(client)) {
    // history tables are named `schema.table` as written, unquoted
    if (historyTables.includes(`${candidate.schema}.${candidate.name}`)) continue;
    const path = [candidate.schema, candidate.name];
    if (ignored(ignores, path)) continue;
    const table = {
      ...candidate,
      columns: candidate.columns.filter((c) => !ignored(ignores, [...path, c.name])),
    };
    const unreadable = candidate.unreadable.filter((c) => !ignored(ignores, [...path, c]));
    if (unreadable.length > 0) {
      report.skipped.push({
        table: candidate.display,
        reason: `no SELECT privilege on column(s) ${unreadable.map(displayIdent).join(', ')}; not read`,
      });
    }
    if (table.columns.length === 0) continue;
    try {
      const sample = await sampleTable(client, table, sampleRows, horizon);
      report.sampled.push({ table: table.display, rows: sample.rows.length, plan: sample.plan });
      report.findings.push(...findingsOf(table, sample.rows, patterns));
    } catch (error) {
      report.skipped.push({ table: table.display, reason: why(error) });
    }
  }
  report.unusedIgnores = ignores.filter((e) => !e.used).map((e) => e.entry);
  return report;
}

function describe(f: TestDataFinding, horizon: Date): string {
  const reason =
    f.reason === 'future-date'
      ? `${REASON_TEXT[f.reason]} (after ${horizon.toISOString().slice(0, 10)})`
      : REASON_TEXT[f.reason];
  return `${f.table}.${f.column}: ${reason} in ${f.matched} of ${f.sampled} sampled rows, e.g. ${f.examples.join(', ')}`;
}

export const testDataCheck: DoctorCheck = {
  id: 'test-data',
  title: 'Test data in the database',
  level: 'fail',
  needsDatabase: true,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const config = ctx.config.doctor?.testData ?? {};
    const level = config.level ?? 'fail';
    if (level === 'off')
      return { status: 'skip', summary: 'turned off (doctor.testData.level)', evidence: [] };
    const report = await findTestData(ctx.client!, { ...config, now: ctx.now, migrations: ctx.migrations });
    const rows = report.sampled.reduce((sum, t) => sum + t.rows, 0);
    const evidence = [
      ...capped(report.findings.map((f) => describe(f, report.horizon))),
      ...capped(report.skipped.map((s) => `${s.table}: ${s.reason}`)),
      ...report.unusedIgnores.map((e) => `doctor.testData.ignore "${e}" matches no table or column`),
      ...(report.historyTables.length
        ? [`not read (migration history): ${report.historyTables.join(', ')}`]
        : []),
    ];
    const read = `${rows} sampled row(s) of ${report.sampled.length} table(s)`;
    if (report.findings.length > 0) {
      const columns = [...new Set(report.findings.map((f) => `${f.table}.${f.column}`))];
      return {
        status: level,
        summary: `test data in ${columns.length} column(s) (${read}): ${capped(columns, 5).join(', ')}`,
        evidence,
        fix: 'Delete these rows from this database (keep test data in a staging or local database). A column that holds such values on purpose: add "schema.table.column" to doctor.testData.ignore; extend or lower the futureDays horizon for planned dates; doctor.testData.level "warn" reports without failing.',
      };
    }
    if (report.skipped.length > 0) {
      return {
        status: 'warn',
        summary: `no test data in ${read}, but ${report.skipped.length} table(s) were not (fully) read`,
        evidence,
        fix: 'Grant this role SELECT on those tables and run the doctor again when they are not locked, or add them to doctor.testData.ignore.',
      };
    }
    return { status: 'pass', summary: `no test data in ${read}`, evidence };
  },
};
