/**
 * Where the database stands against the folder: for each migration applied / pending / modified
 * (its checksum changed since it was applied) / failed (a state the tool refuses to continue from)
 * / partial (a pgwarden run stopped inside a migration that cannot run in one transaction; the next
 * run resumes it), and `missing` for history rows whose file is gone (the database is ahead).
 * `status` also reads a folder that `migrate` refuses: a file the format cannot read is `broken`,
 * with the refusal's words, and everything else is listed as usual.
 */
import { basename } from 'node:path';
import type pg from 'pg';
import type { ErrorCode } from '../errors/codes.js';
import { contractAfter } from './contract-gate.js';
import { expandHighWaterMark, hasHighWaterMark } from './formats/golang-migrate.js';
import { relativePath } from './formats/shared.js';
import { type LedgerRow, readLedger } from './ledger.js';
import type { BrokenFile, MigrationSource } from './source.js';
import { openTarget, type TargetOptions } from './target.js';
import type { AppliedRecord, HistoryState, Migration } from './types.js';

export type MigrationState = 'applied' | 'pending' | 'modified' | 'missing' | 'failed' | 'partial';

export interface StatusEntry {
  id: string;
  name: string | undefined;
  path: string | undefined;
  state: MigrationState;
  appliedAt: string | undefined;
  /** Pending, but sorts before a migration that is already applied (a merged branch). */
  outOfOrder?: boolean;
  /** Why the migration is failed/modified/partial, in words. */
  detail?: string;
}

/** A file the format refuses (`migrate` refuses the folder until it is fixed). */
export interface BrokenEntry {
  /** Relative to the migrations directory. */
  path: string;
  /** The refusal's error code (its class gives `pgwarden status` its exit code). */
  code: ErrorCode;
  /** Why, in the refusal's words: the line and what the tool needs. */
  reason: string;
  hint?: string;
  /** A history row belongs to the file: the database has it applied (at `appliedAt`, if recorded). */
  applied: boolean;
  appliedAt?: string;
}

export interface MigrationStatus {
  format: string;
  dir: string;
  /** Every migrations directory, `dir` first, when there are several (Flyway locations). */
  dirs?: string[];
  historyTable: string;
  historyExists: boolean;
  entries: StatusEntry[];
  /** Files the tool skips, as it says (the Supabase CLI's misnamed files). */
  warnings?: string[];
  /** Files the format refuses; everything else is in `entries`. */
  broken?: BrokenEntry[];
  counts: Record<MigrationState, number>;
}

export interface StatusInputs {
  source: MigrationSource;
  history: HistoryState;
  ledger: Map<string, LedgerRow>;
}

export async function readStatusInputs(client: pg.Client, source: MigrationSource): Promise<StatusInputs> {
  const history = await readHistory(client, source);
  const ledger = await readLedger(client, source.format.id);
  return { source, history, ledger };
}

/** The tool's own history of `source`'s format (its table, or the configured one). */
export function readHistory(client: pg.Client, source: MigrationSource): Promise<HistoryState> {
  return source.format.history.read({ client, ...(source.table ? { table: source.table } : {}) });
}

export function computeStatus({ source, history, ledger }: StatusInputs): MigrationStatus {
  const { format, migrations } = source;
  const records = hasHighWaterMark(format) ? expandHighWaterMark(migrations, history) : history.applied;
  const byId = new Map(records.map((r) => [r.id, r]));
  const known = new Set(migrations.map((m) => m.id));
  const entries: StatusEntry[] = [];
  let lastApplied = -1;
  migrations.forEach((m, i) => {
    if (m.repeatable) return; // Flyway's repeatables come after every versioned migration
    if (byId.get(m.id)?.state === 'applied' || format.history.coveredByBaseline?.(records, m))
      lastApplied = i;
  });

  migrations.forEach((m, i) => {
    const record = byId.get(m.id);
    const own = ledger.get(m.id);
    const base = { id: m.id, name: m.name, path: m.path };
    if (record?.state !== 'failed' && format.history.coveredByBaseline?.(records, m)) {
      entries.push({
        ...base,
        state: 'applied',
        appliedAt: record?.appliedAt?.toISOString(),
        detail: 'below the baseline',
      });
      return;
    }
    if (own?.status === 'partial') {
      entries.push({
        ...base,
        state: 'partial',
        appliedAt: undefined,
        detail: 'stopped inside the migration; the next run resumes it',
      });
      return;
    }
    if (!record) {
      const after = contractAfterOrUndefined(m);
      entries.push({
        ...base,
        state: 'pending',
        appliedAt: undefined,
        ...(i < lastApplied && !m.repeatable ? { outOfOrder: true } : {}),
        ...(after ? { detail: `contract step after ${after}` } : {}),
      });
      return;
    }
    const appliedAt = record.appliedAt?.toISOString();
    if (record.state === 'failed') {
      entries.push({
        ...base,
        state: 'failed',
        appliedAt,
        detail: record.detail ?? 'the tool recorded a failed run',
      });
      return;
    }
    const change = checksumChange(source, m, record, own);
    if (change && m.repeatable)
      entries.push({ ...base, state: 'pending', appliedAt, detail: 'changed; re-applied on the next run' });
    else if (change) entries.push({ ...base, state: 'modified', appliedAt, detail: change });
    else entries.push({ ...base, state: 'applied', appliedAt });
  });
  const brokenRecords = new Set<AppliedRecord>();
  const broken = (source.broken ?? []).map((file): BrokenEntry => {
    const record = records.find((r) => !known.has(r.id) && !brokenRecords.has(r) && recordOfFile(r, file));
    if (record) brokenRecords.add(record);
    return {
      path: relativePath(source.dir, file.path),
      code: file.code,
      reason: file.reason,
      ...(file.hint ? { hint: file.hint } : {}),
      applied: record !== undefined,
      ...(record?.appliedAt ? { appliedAt: record.appliedAt.toISOString() } : {}),
    };
  });
  for (const record of records) {
    if (!known.has(record.id) && !record.baseline && !brokenRecords.has(record)) {
      entries.push({
        id: record.id,
        name: undefined,
        path: undefined,
        state: record.state === 'failed' ? 'failed' : 'missing',
        appliedAt: record.appliedAt?.toISOString(),
        detail:
          record.state === 'failed'
            ? `${record.detail ?? 'failed'}; and its file is not in the folder`
            : 'recorded in the database but its file is not in the folder',
      });
    }
  }
  const counts: Record<MigrationState, number> = {
    applied: 0,
    pending: 0,
    modified: 0,
    missing: 0,
    failed: 0,
    partial: 0,
  };
  for (const entry of entries) counts[entry.state]++;
  return {
    format: format.id,
    dir: source.dir,
    ...(source.dirs ? { dirs: source.dirs } : {}),
    historyTable: history.table,
    historyExists: history.exists,
    entries,
    counts,
    warnings: source.warnings ?? [],
    ...(broken.length > 0 ? { broken } : {}),
  };
}

/** Why the migration's text no longer matches what was applied, or undefined if it does. */
function checksumChange(
  source: MigrationSource,
  m: Migration,
  record: AppliedRecord,
  own: LedgerRow | undefined,
): string | undefined {
  const adapter = source.format.history;
  if (record.checksum !== undefined && adapter.checksumMatches) {
    if (!adapter.checksumMatches(m, record.checksum))
      return `edited after it was applied (the ${source.format.title} checksum differs)`;
    return undefined;
  }
  if (own && own.checksum !== m.checksum)
    return 'edited after it was applied (pgwarden recorded another checksum)';
  return undefined;
}

/**
 * Whether a history row is the one of a file the format cannot read: the row's id (a version, with
 * `.` written `_` as Flyway's file names do) starts the file's name, after at most one letter
 * (Flyway's `V`), and no digit follows it. A display matter only: the row is shown with the file
 * instead of as `missing`.
 */
function recordOfFile(record: AppliedRecord, file: BrokenFile): boolean {
  const name = basename(file.path);
  const id = record.id.replaceAll('.', '_');
  const at = name.startsWith(id) ? 0 : /^[A-Za-z]/.test(name) && name.startsWith(id, 1) ? 1 : -1;
  return at >= 0 && !/\d/.test(name.charAt(at + id.length));
}

/**
 * `status()`: the library function behind `pgwarden status`. Reads only; creates nothing. A file
 * the format refuses does not hide the rest: it is listed as `broken` (`migrate` refuses the
 * folder until it is fixed).
 */
export async function status(options: TargetOptions): Promise<MigrationStatus> {
  const target = await openTarget({ ...options, tolerant: true }, 'pgwarden status');
  try {
    return computeStatus(await readStatusInputs(target.client, target.source));
  } finally {
    await target.close();
  }
}

/** A pending migration's contract marker, for the listing (an invalid one is the runner's to refuse). */
function contractAfterOrUndefined(migration: Migration): string | undefined {
  try {
    return contractAfter(migration);
  } catch {
    return undefined;
  }
}
