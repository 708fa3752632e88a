/**
 * `--no-lint-gate "<reason>"`, the same on `migrate` and `deploy`: lets lint errors in the pending
 * migrations through; the reason is required (it is recorded in pgwarden.events with the findings).
 */
import type { Command } from 'commander';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { overrideReasonProblem } from '../migrate/lint-gate-reason.js';

export const LINT_GATE_FLAGS = '--no-lint-gate <reason>';
export const LINT_GATE_DESCRIPTION =
  'let lint errors in the pending migrations through; the reason is required and recorded in pgwarden.events';

export function lintGateOption(command: Command): Command {
  return command.option(LINT_GATE_FLAGS, LINT_GATE_DESCRIPTION);
}

/**
 * The override's reason from the parsed option (commander gives `true` when it is absent, the
 * reason when given); USAGE (exit 2) when the reason is empty.
 */
export function lintGateReason(value: boolean | string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const problem = overrideReasonProblem(value);
  if (problem) throw new PgwardenError('USAGE', problem);
  return value;
}
