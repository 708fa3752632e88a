/**
 * After the migrate step failed. Transactional migrations were rolled back: nothing to restore.
 * Statements that ran outside a transaction (CREATE INDEX CONCURRENTLY…) may have stayed: then the
 * pre-deploy backup is restored per `restoreOnFailure`:
 * - `never`: not restored;
 * - `if-no-writes` (default): restored only when it is proven — with writes, then new connections
 *   blocked, from row versions that cannot lag — that nothing but this deploy's own migrations
 *   wrote since the backup; otherwise not restored, with what was found;
 * - `always`: restored (the restore's safety backup keeps whatever was written since).
 * An interrupted deploy (SIGTERM, Ctrl-C) is never restored automatically. Whenever nothing is
 * restored, the error carries both ways out as commands (`recovery`).
 */
import { restore, safetyCommand } from '../../backup/restore.js';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import type { DeployRun } from '../context.js';
import type { Recovery } from '../types.js';

export async function recover(run: DeployRun, error: unknown): Promise<void> {
  const { options } = run;
  const message = error instanceof Error ? error.message : String(error);
  const backup = run.backup;
  // stopped before the backup (lint, pg_dump, the backup itself, git): nothing changed
  if (!backup) {
    await run.record('failed', { error: message });
    return;
  }
  const t = Date.now();
  if (run.partial.length === 0) {
    run.step('recover', 'ok', 'the failed migration was rolled back: nothing to restore', t);
    await run.record('failed', { error: message });
    return;
  }
  const database = await run.withClient(
    async (c) => (await c.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d,
  );
  const recovery: Recovery = {
    restoreCommand: `${safetyCommand(backup.id, options.backupDir, database)} --terminate-sessions`,
    resume: `to keep the database as it is: fix ${run.partial.join(', ')} and deploy again (it resumes after the statements already applied), or record the outcome with pgwarden resolve ${run.partial[0]} --applied | --rolled-back`,
  };
  const notRestored = async (why: string) => {
    run.step('recover', 'fail', `${run.partial.join(', ')} partly applied; not restored: ${why}`, t);
    await run.record('failed', { error: message });
    Object.assign(error as object, { recovery });
  };

  const interrupted = run.interrupted || (error instanceof PgwardenError && error.code === 'INTERRUPTED');
  if (interrupted) return notRestored('interrupted: pgwarden never restores on its own after a stop request');
  if (options.restoreOnFailure === 'never') return notRestored('restoreOnFailure is never');

  try {
    await restore({
      ref: backup.id,
      cwd: options.cwd,
      backupDir: options.backupDir,
      databaseUrl: options.databaseUrl,
      confirm: async () => ({ database }),
      countdownSeconds: 0,
      terminateSessions: true,
      ...(options.restoreOnFailure === 'if-no-writes'
        ? {
            onlyIfNoWritesSince: {
              snapshot: backup.snapshot.txid ?? null,
              tables: backup.tables,
              ownTransactionIds: run.transactionIds,
            },
          }
        : {}),
    });
  } catch (restoreError) {
    const e = restoreError as Error;
    return notRestored(
      restoreError instanceof PgwardenError && restoreError.code === 'RESTORE_NOT_PROVEN'
        ? e.message.replace(/^not restored: /, '')
        : `restoring ${backup.id} failed: ${e.message}`,
    );
  }
  run.step(
    'recover',
    'ok',
    `${run.partial.join(', ')} partly applied: restored the pre-deploy backup ${backup.id}`,
    t,
  );
  await run.record('restored', { error: message });
}
