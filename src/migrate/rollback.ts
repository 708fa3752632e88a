/**
 * `rollback()`: runs down migrations, newest first, with the same lock, transaction and
 * lock-timeout safety as `migrate()`, and updates the tool's history the way the tool does.
 */
import { loadLiveFacts } from '../analysis/live-catalog.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { logEvent } from './ledger.js';
import {
  type AppliedMigration,
  assertConsistent,
  locked,
  type MigrateOptions,
  prepareRun,
  runOne,
} from './migrate.js';
import { findMigration } from './source.js';
import { computeStatus, readStatusInputs } from './status.js';
import { scriptSteps } from './steps.js';
import type { Migration } from './types.js';

export interface RollbackOptions extends Omit<MigrateOptions, 'target'> {
  /** How many applied migrations to roll back (default 1). */
  steps?: number | undefined;
  /** Roll back every migration applied after this one (it stays applied). */
  to?: string | undefined;
}

export interface RollbackResult {
  format: string;
  rolledBack: AppliedMigration[];
}

export async function rollback(options: RollbackOptions): Promise<RollbackResult> {
  return locked(options, 'pgwarden rollback', async (session) => {
    const { client, source, pgMajor } = session.target;
    if (!source.format.hasDown) {
      throw new PgwardenError(
        'USAGE',
        `${source.format.title} migrations have no down scripts, so there is nothing pgwarden can roll back`,
        {
          hint: 'Write a new forward migration that undoes the change, or restore a backup.',
        },
      );
    }
    const status = computeStatus(await readStatusInputs(client, source));
    assertConsistent(status, true);
    const appliedIds = new Set(status.entries.filter((e) => e.state === 'applied').map((e) => e.id));
    const applied = source.migrations.filter((m) => appliedIds.has(m.id));
    let chosen: Migration[];
    if (options.to !== undefined) {
      const keep = findMigration(source.migrations, options.to);
      const at = applied.findIndex((m) => m.id === keep.id);
      if (at < 0) throw new PgwardenError('USAGE', `--to ${options.to}: ${keep.id} is not applied`);
      chosen = applied.slice(at + 1).reverse();
    } else {
      const steps = options.steps ?? 1;
      chosen = applied.slice(Math.max(0, applied.length - steps)).reverse();
    }
    if (chosen.length === 0) {
      throw new PgwardenError('NOTHING_TO_ROLL_BACK', 'nothing to roll back: no applied migration matches', {
        hint: 'Check `pgwarden status`.',
      });
    }
    const noDown = chosen.filter((m) => !m.down);
    if (noDown.length) {
      throw new PgwardenError(
        'MIGRATION_INVALID',
        `no down script for ${noDown.map((m) => m.path).join(', ')}; nothing was rolled back`,
        {
          hint: 'Add the down script, or write a forward migration that undoes the change.',
        },
      );
    }
    const live = await loadLiveFacts(client);
    const planned = chosen.map((m) => ({ m, steps: scriptSteps(m.down!, live.model, pgMajor).steps }));
    await prepareRun(session);
    const result: RollbackResult = { format: source.format.id, rolledBack: [] };
    for (const { m, steps } of planned) {
      const previous = applied[applied.findIndex((a) => a.id === m.id) - 1];
      const done = await runOne(session, options, m, steps, 'down', previous);
      if (!('skipped' in done)) result.rolledBack.push(done);
    }
    await logEvent(
      client,
      {
        kind: 'rollback.done',
        format: source.format.id,
        detail: { rolledBack: result.rolledBack.map((r) => r.id) },
      },
      session.actor,
    ).catch(() => undefined);
    return result;
  });
}
