/**
 * Contract steps (`-- pgwarden:contract after=<expand migration id>` in the migration): the step
 * that removes what old app versions still use (a trigger, an old column) must not run while they
 * may still be running. `migrate` and `deploy` stop before a contract step when its expand step
 * is applied in the same run (the app that needs it has not been deployed yet), or — with
 * `migrate.contractMinAge` — when the expand step is younger than that; the migrations before it
 * are applied, and the run says why it stopped. `--allow-contract "<reason>"` lets it run, recorded
 * in `pgwarden.events`. The expand step's backfill is done by then: a migration is recorded
 * applied only when its whole backfill is, and migrations run in order.
 */
import { PgwardenError } from '../errors/pgwarden-error.js';
import { directiveWords } from '../sql/directives.js';
import type { MigrationStatus } from './status.js';
import type { Migration } from './types.js';

export const CONTRACT_MARKER = 'pgwarden:contract';

export interface ContractStop {
  /** The contract step not run. */
  id: string;
  /** Its expand step. */
  after: string;
  reason: string;
}

/**
 * The `after=` of a migration's contract marker, or undefined. Read without the SQL parser (a
 * whole-line comment in the up script), so status and deploy's fast path stay cheap.
 */
export function contractAfter(migration: Migration): string | undefined {
  if (!migration.up.text.includes(CONTRACT_MARKER)) return undefined;
  for (const line of migration.up.text.split('\n')) {
    const words = directiveWords(line.trim());
    if (words?.[0] !== CONTRACT_MARKER) continue;
    const after = words
      .slice(1)
      .find((w) => w.startsWith('after='))
      ?.slice('after='.length);
    if (!after) {
      throw new PgwardenError(
        'MIGRATION_INVALID',
        `${migration.path}: -- ${CONTRACT_MARKER} needs after=<id of the expand migration>`,
        { hint: `e.g. -- ${CONTRACT_MARKER} after=20240611120000` },
      );
    }
    return after;
  }
  return undefined;
}

/**
 * Where a run must stop: the first contract step in `todo` whose expand step is not applied
 * before this run, or is younger than `minAgeMs`. Undefined when every step may run.
 */
export function contractStop(
  todo: readonly Migration[],
  all: readonly Migration[],
  status: MigrationStatus,
  minAgeMs: number | undefined,
  now: Date,
): ContractStop | undefined {
  for (const migration of todo) {
    const after = contractAfter(migration);
    if (after === undefined) continue;
    const expand = all.find((m) => m.id === after);
    if (!expand) {
      throw new PgwardenError(
        'MIGRATION_INVALID',
        `${migration.path}: -- ${CONTRACT_MARKER} after=${after}: there is no migration ${after}`,
        { hint: 'Name the id of the expand migration this contract step follows.' },
      );
    }
    const entry = status.entries.find((e) => e.id === after);
    if (entry?.state !== 'applied') {
      return {
        id: migration.id,
        after,
        reason: `its expand step ${after} is applied in this run: deploy the app version that no longer uses what it removes, then run again`,
      };
    }
    if (minAgeMs !== undefined && entry.appliedAt) {
      const age = now.getTime() - Date.parse(entry.appliedAt);
      if (age < minAgeMs) {
        return {
          id: migration.id,
          after,
          reason: `its expand step ${after} was applied ${Math.round(age / 60_000)} min ago, less than migrate.contractMinAge (${Math.round(minAgeMs / 60_000)} min)`,
        };
      }
    }
  }
  return undefined;
}
