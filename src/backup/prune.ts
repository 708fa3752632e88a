/**
 * `backup prune`: retention by age and/or count where only verified backups count. The newest
 * verified backup is never deleted; a pinned backup is kept while its pin is younger than the
 * retention period (pinned at creation: a pre-deploy backup whose deploy never finished is
 * released by policy, not kept forever; without an age limit, pins hold). Unverified backups and
 * unfinished `.partial` files are cleaned once they are a day old (younger ones may still be in
 * progress); files that are not pgwarden's — invalid manifests included, and whatever they name —
 * are never touched. Deletion removes the data first and the manifest last, and stops at the
 * first error.
 */

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { type Catalog, readCatalog } from './catalog.js';
import { manifestName } from './store.js';

const DAY = 24 * 3600 * 1000;

export interface PrunePolicy {
  /** delete verified backups older than this many days (0 or undefined: no age limit) */
  retentionDays?: number | undefined;
  /** keep at most this many verified backups */
  keep?: number | undefined;
}

export interface PruneDecision {
  /** backup id, or the file name of an unfinished file */
  id: string;
  kind: 'backup' | 'partial';
  finishedAt: string;
  verified: boolean;
  reason: string;
  /** what is deleted, data first, manifest last */
  paths: string[];
}

export interface PrunePlan {
  delete: PruneDecision[];
  keep: PruneDecision[];
}

/** Decides what goes and what stays; a pure function of the catalog, the policy and the time. */
export function planPrune(catalog: Catalog, policy: PrunePolicy, now: Date): PrunePlan {
  const plan: PrunePlan = { delete: [], keep: [] };
  const days = policy.retentionDays ?? 0;
  let verifiedSeen = 0;
  for (const backup of catalog.backups) {
    const m = backup.manifest;
    const verified = m.verification?.ok === true && backup.flags.length === 0;
    const age = now.getTime() - Date.parse(m.finishedAt);
    const paths = [
      backup.path,
      ...(m.globals ? [join(catalog.dir, m.globals.file)] : []),
      join(catalog.dir, manifestName(m.id)),
    ];
    const decision = (reason: string): PruneDecision => ({
      id: m.id,
      kind: 'backup',
      finishedAt: m.finishedAt,
      verified,
      reason,
      paths,
    });
    if (!verified) {
      const what = backup.flags.length
        ? backup.flags.join(', ')
        : m.verification
          ? 'failed verification'
          : 'never verified';
      if (age > DAY) plan.delete.push(decision(`${what}, older than a day`));
      else plan.keep.push(decision(`${what}, but younger than a day`));
      continue;
    }
    verifiedSeen++;
    const tooOld = days > 0 && age > days * DAY;
    // the pin dates from the backup's creation: it expires with the retention period
    const expired = m.pinned && tooOld ? `${pinExpired(m.reason)}; ` : '';
    if (verifiedSeen === 1) plan.keep.push(decision('newest verified backup (never deleted)'));
    else if (m.pinned && !tooOld) plan.keep.push(decision(`pinned (${m.reason})`));
    else if (policy.keep !== undefined && verifiedSeen > policy.keep)
      plan.delete.push(decision(`${expired}beyond the ${policy.keep} newest verified backups`));
    else if (tooOld) plan.delete.push(decision(`${expired}older than ${days} days`));
    else plan.keep.push(decision('within retention'));
  }
  for (const other of catalog.others) {
    if (!other.partial) continue;
    const age = now.getTime() - other.modifiedAt.getTime();
    const decision: PruneDecision = {
      id: other.name,
      kind: 'partial',
      finishedAt: other.modifiedAt.toISOString(),
      verified: false,
      reason:
        age > DAY
          ? 'unfinished backup, older than a day'
          : 'unfinished, younger than a day (may still be running)',
      paths: [other.path],
    };
    (age > DAY ? plan.delete : plan.keep).push(decision);
  }
  return plan;
}

/** Why a pin no longer holds, in words. */
function pinExpired(reason: string): string {
  return reason === 'pre-deploy'
    ? 'pin expired (pre-deploy backup of a deploy that never finished)'
    : `pin expired (${reason} backup pinned longer than the retention period)`;
}

export interface PruneOptions extends PrunePolicy {
  dir: string;
  dryRun?: boolean;
  now?: Date;
}

export interface PruneResult extends PrunePlan {
  dryRun: boolean;
}

export async function pruneBackups(options: PruneOptions): Promise<PruneResult> {
  if (options.keep !== undefined && (!Number.isInteger(options.keep) || options.keep < 1)) {
    throw new PgwardenError('USAGE', `--keep must be a whole number of 1 or more, not ${options.keep}`, {
      hint: 'The newest verified backup is always kept; --keep 1 keeps only it.',
    });
  }
  if (
    options.retentionDays !== undefined &&
    (!Number.isFinite(options.retentionDays) || options.retentionDays < 0)
  ) {
    throw new PgwardenError(
      'USAGE',
      `the retention must be a number of days (0 = no age limit), not ${options.retentionDays}`,
    );
  }
  const plan = planPrune(await readCatalog(options.dir), options, options.now ?? new Date());
  if (!options.dryRun) {
    for (const decision of plan.delete) {
      for (const path of decision.paths) {
        try {
          await rm(path, { recursive: true, force: true });
        } catch (error) {
          throw new PgwardenError(
            'PATH_UNWRITABLE',
            `prune stopped: cannot delete ${path} (${(error as NodeJS.ErrnoException).code})`,
            {
              hint: 'Nothing after it was deleted; fix the permission and run prune again.',
            },
          );
        }
      }
    }
  }
  return { ...plan, dryRun: options.dryRun === true };
}
