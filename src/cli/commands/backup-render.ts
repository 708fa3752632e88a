/** Text rendering of backups, verification, prune and the restore preview. */
import { relative } from 'node:path';
import { displayTable } from '../../backup/copy-counter.js';
import type { CreateEvent } from '../../backup/create.js';
import type { BackupList } from '../../backup/list.js';
import type { PruneResult } from '../../backup/prune.js';
import type { RestoreEvent } from '../../backup/restore.js';
import type { RestorePreview } from '../../backup/restore-preview.js';
import { openDirAdvice } from '../../backup/store.js';
import type { VerifyCheck } from '../../backup/verify.js';
import { formatBytes } from '../../lint/describe.js';

interface Sink {
  progress: (text: string) => void;
  /** stderr is a terminal: progress may be redrawn in place */
  live: boolean;
  stderr: { write(text: string): unknown };
  cwd: string;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

let redrawn = false;

export function renderCreateEvent(event: CreateEvent, sink: Sink): void {
  if (event.type === 'bytes') {
    if (sink.live) {
      sink.stderr.write(`\r  ${formatBytes(event.bytes)} written`);
      redrawn = true;
    }
    return;
  }
  if (redrawn) {
    sink.stderr.write('\r\x1b[K');
    redrawn = false;
  }
  const text = createEventLine(event, sink.cwd);
  if (text) sink.progress(text);
}

function createEventLine(event: Exclude<CreateEvent, { type: 'bytes' }>, cwd: string): string {
  switch (event.type) {
    case 'dir-created':
      return `created the backup directory ${shortPath(event.dir, cwd)} (mode 0700)`;
    case 'dir-open':
      return `warning: ${openDirAdvice(relative(cwd, event.dir) === '' ? '.' : shortPath(event.dir, cwd), event.mode)}`;
    case 'started':
      return `backing up ${event.database} (${event.tables} tables) with pg_dump ${event.pgDump} → ${event.id}`;
    case 'dumped':
      return `dumped ${formatBytes(event.size)} in ${seconds(event.ms)}`;
    case 'verifying':
      return 'reading it back…';
    case 'verified':
      return `verified: every data block read, ${event.tables} tables and ${event.rows} rows as counted in the snapshot (${seconds(event.ms)})`;
    case 'globals-skipped':
      return `warning: roles and tablespaces not saved: ${event.reason}`;
  }
}

export function renderBackupList(list: BackupList, cwd: string): string {
  const lines: string[] = [];
  const where = shortPath(list.dir, cwd) || '.';
  if (list.backups.length === 0) lines.push(`No backups in ${where}.`);
  else {
    const rows = list.backups.map((b) => [
      b.id,
      formatAge(b.ageMs),
      formatBytes(b.size),
      b.reason + (b.pinned ? ' (pinned)' : ''),
      b.verified === 'yes'
        ? `yes (${b.verifiedBy})`
        : b.verified === 'failed'
          ? 'FAILED'
          : b.verified === 'changed'
            ? 'NO (changed since)'
            : 'no',
      b.database,
    ]);
    lines.push(...table(['ID', 'AGE', 'SIZE', 'REASON', 'VERIFIED', 'DATABASE'], rows));
    for (const b of list.backups) for (const flag of b.flags) lines.push(`  ! ${b.id}: ${flag}`);
  }
  if (list.flagged.length > 0) {
    lines.push(
      '',
      `Not backups${list.database ? ` of ${list.database}` : ''} (left alone by prune unless unfinished):`,
    );
    for (const f of list.flagged) lines.push(`  ${f.name}: ${f.reason}`);
  }
  return lines.join('\n');
}

export function renderVerifyCheck(check: VerifyCheck): string {
  return `${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`;
}

export function renderPrune(result: PruneResult, verbose: boolean): string {
  const lines: string[] = [];
  const verb = result.dryRun ? 'would delete' : 'deleted';
  for (const d of result.delete) lines.push(`${verb} ${d.id}: ${d.reason}`);
  if (verbose) for (const k of result.keep) lines.push(`kept ${k.id}: ${k.reason}`);
  const verified = result.keep.filter((k) => k.verified).length;
  lines.push(
    `${result.delete.length === 0 ? 'Nothing to prune' : `${result.dryRun ? 'Would delete' : 'Deleted'} ${result.delete.length}`}; ${result.keep.length} kept (${verified} verified).${result.dryRun ? ' Dry run: nothing was deleted.' : ''}`,
  );
  return lines.join('\n');
}

export function renderPreview(p: RestorePreview, cwd: string): string {
  const s = p.source;
  const lines: string[] = [];
  lines.push(
    `Restore ${s.id ? `backup ${s.id}` : shortPath(s.path, cwd)} (${s.kind}${s.database ? `, database ${s.database}` : ''}${s.serverVersion ? `, PostgreSQL ${s.serverVersion.split(' ')[0]}` : ''})`,
  );
  const facts = [
    s.createdAt
      ? `taken ${s.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} (${formatAge(s.ageMs ?? 0)} ago)`
      : undefined,
    s.reason ? `reason ${s.reason}` : undefined,
    s.verified === null ? 'no manifest' : s.verified ? 'verified' : 'NOT verified',
    s.gitCommit ? `git ${s.gitCommit.slice(0, 12)}` : undefined,
  ].filter(Boolean);
  lines.push(`  ${facts.join(', ')}`);
  lines.push(
    `into ${p.target.database} at ${p.target.where} (PostgreSQL ${p.target.serverVersion.split(' ')[0]})`,
  );
  const since = [
    p.sinceBackup.rowsWritten !== null
      ? `${p.sinceBackup.rowsWritten} rows written since the backup`
      : undefined,
    p.sinceBackup.walBytes !== null ? `${formatBytes(p.sinceBackup.walBytes)} of WAL` : undefined,
  ].filter(Boolean);
  if (since.length) lines.push(`  ${since.join(', ')} — the restore discards them`);
  lines.push('');
  const rows = p.tables.map((t) => [
    displayTable(t.schema, t.name),
    t.live === null ? '—' : `${t.liveEstimated ? '~' : ''}${t.live}`,
    t.backup === null ? '—' : String(t.backup),
    t.backup === null ? 'table dropped' : t.live === null ? 'table created' : signed(t.delta ?? 0),
  ]);
  rows.push([
    'total',
    String(p.totals.live),
    String(p.totals.backup),
    signed(p.totals.backup - p.totals.live),
  ]);
  lines.push(...table(['TABLE', 'LIVE', 'BACKUP', 'DELTA'], rows, [false, true, true, true]));
  lines.push('(DELTA = backup − live: what the restore changes)', '');
  lines.push(
    p.sessions.length === 0
      ? 'No other sessions are connected.'
      : `${p.sessions.length} other session(s) connected: ${p.sessions
          .slice(0, 5)
          .map((x) => `pid ${x.pid} ${x.user ?? '?'}${x.application ? ` (${x.application})` : ''}`)
          .join(', ')}`,
  );
  lines.push(
    `Safety backup first: about ${formatBytes(p.safetyBackup.estimatedBytes)} in ${shortPath(p.safetyBackup.dir, cwd)}${p.safetyBackup.freeBytes !== null ? ` (${formatBytes(p.safetyBackup.freeBytes)} free)` : ''}.`,
  );
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  for (const problem of p.problems)
    lines.push(`refused: ${problem.message}${problem.hint ? ` (${problem.hint})` : ''}`);
  return lines.join('\n');
}

/** A path relative to the working directory when it is inside it. */
export function shortPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !rel.startsWith('/') ? rel : path;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

export function renderRestoreEvent(event: RestoreEvent, sink: Sink): void {
  switch (event.type) {
    case 'preview':
      return;
    case 'countdown':
      if (sink.live)
        sink.stderr.write(`\rrestoring in ${event.seconds} s — Ctrl-C cancels, nothing has changed yet `);
      else sink.progress(`restoring in ${event.seconds} s (Ctrl-C cancels)`);
      return;
    case 'safety-backup-progress':
      renderCreateEvent(event.event, sink);
      return;
    case 'safety-backup':
      if (sink.live) sink.stderr.write('\r\x1b[K');
  }
  sink.progress(restoreEventLine(event));
}

function restoreEventLine(
  event: Exclude<RestoreEvent, { type: 'preview' | 'countdown' | 'safety-backup-progress' }>,
): string {
  switch (event.type) {
    case 'writes-blocked':
      return 'writes blocked: every table is locked by the restore (reads go on)';
    case 'safety-backup':
      return 'taking a safety backup of the current state…';
    case 'safety-backup-done':
      return `safety backup ${event.id} (${formatBytes(event.size)}) verified`;
    case 'sessions-terminated':
      return `disconnected ${event.pids.length} session(s): pid ${event.pids.join(', ')}`;
    case 'connections-blocked':
      return 'new connections blocked (ALLOW_CONNECTIONS false until the restore ends)';
    case 'restoring':
      return 'restoring in one transaction…';
    case 'connections-reopened':
      return 'connections allowed again';
    case 'restored':
      return `restored in ${seconds(event.ms)}; checking…`;
    case 'checked':
      return `checked: ${event.tables} tables have the backup's rows, ${event.sequences} sequences are ahead of their columns, ANALYZE done`;
  }
}

function table(head: string[], rows: string[][], right: boolean[] = []): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}
