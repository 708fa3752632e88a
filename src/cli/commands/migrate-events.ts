/** One line (or a few) per runner event, for migrate, rollback, resolve and deploy. */
import { formatGateFinding } from '../../migrate/lint-gate-finding.js';
import type { MigrateEvent } from '../../migrate/migrate.js';
import { describeSession } from '../../migrate/sessions.js';
import { describeBackfillEvent } from '../backfill-progress.js';

export function renderEvent(event: MigrateEvent): string {
  switch (event.type) {
    case 'lock-wait':
      return `waiting for another deploy to finish (${Math.round(event.waitedMs / 1000)} s)${event.holders.map((h) => `; lock held by pid ${h.pid} ${h.applicationName}`).join('')}`;
    case 'sessions':
      return `warning: sessions that may make the migration wait:\n${event.sessions.map((s) => `  ${describeSession(s)}`).join('\n')}`;
    case 'migration-start':
      return `→ ${event.id} (${event.statements} statement${event.statements === 1 ? '' : 's'}, ${event.mode === 'transaction' ? 'one transaction' : 'statement by statement'})${event.droppedTransactionControl ? `\n  ${droppedTransactionNote(event.droppedTransactionControl, event.mode)}` : ''}`;
    case 'statement':
      return `  ${event.index + 1}/${event.total} line ${event.line} ${event.kind} ${event.durationMs} ms`;
    case 'retry':
      return `  ${event.reason === 'deadlock' ? 'deadlock (PostgreSQL ended this attempt to break it)' : 'lock timeout'} at line ${event.line}; rolled back, retry ${event.attempt} in ${event.delayMs} ms${event.blockers.length ? `\n    in the way: ${event.blockers.join('\n    in the way: ')}` : ''}`;
    case 'dropped-invalid-index':
      return `  dropped ${event.index}, an INVALID index left by a failed concurrent build`;
    case 'index-already-built':
      return `  line ${event.line}: ${event.index} is already built, valid and with this definition (an interrupted run finished it before recording it): counted as done`;
    case 'apply-wait':
      return `  waiting: another run is applying a migration (${Math.round(event.waitedMs / 1000)} s)${event.holders.map((h) => `; pid ${h.pid} ${h.applicationName}`).join('')}`;
    case 'migration-skipped':
      return `- ${event.id} skipped: ${event.reason}`;
    case 'backfill':
      return `  line ${event.line}: ${describeBackfillEvent(event.event)}`;
    case 'lint-gate-overridden':
      return `warning: lint gate overridden (--no-lint-gate, recorded in pgwarden.events): "${event.reason}"; ${event.findings.length} error(s) let through:\n${event.findings.map((f) => `  ${formatGateFinding(f)}`).join('\n')}`;
    case 'contract-stop':
      return `■ stopped before ${event.stop.id} (contract step after ${event.stop.after}): ${event.stop.reason}`;
    case 'contract-allowed':
      return `warning: contract step ${event.stop.id} runs now (--allow-contract, recorded in pgwarden.events): "${event.reason}"; it was held back because ${event.stop.reason}`;
    case 'source-warning':
      return `warning: ${event.message}`;
    case 'migration-done':
      return `✓ ${event.id} ${event.durationMs} ms${event.retries ? `, ${event.retries} retr${event.retries === 1 ? 'y' : 'ies'}` : ''}${event.resumedFrom ? `, resumed at statement ${event.resumedFrom + 1}` : ''}`;
  }
}

/** What the runner does with a file's own BEGIN/COMMIT (plan and migrate say it). */
export function droppedTransactionNote(count: number, mode: 'transaction' | 'statements'): string {
  return `the file's own BEGIN/COMMIT (${count}) not run: ${mode === 'transaction' ? "pgwarden's transaction replaces them" : 'pgwarden runs the statements one by one (a statement here refuses a transaction block)'}`;
}
