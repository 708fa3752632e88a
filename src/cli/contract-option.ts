/**
 * `--allow-contract "<reason>"`, the same on `migrate` and `deploy`: runs contract steps
 * (`-- pgwarden:contract`) in the run of their expand step; the reason is recorded, so it must say
 * something. A module of its own so deploy's start does not load the runner commands.
 */
import { PgwardenError } from '../errors/pgwarden-error.js';

export function allowContractReason(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') {
    throw new PgwardenError(
      'USAGE',
      '--allow-contract needs a reason (it is recorded), e.g. --allow-contract "old app drained at 14:00"',
    );
  }
  return value;
}
