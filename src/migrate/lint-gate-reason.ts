/**
 * The lint gate override's reason must say something: it is recorded. Kept apart from the gate so
 * the CLI can check the option without loading the linter.
 */
export function overrideReasonProblem(reason: string | undefined): string | undefined {
  if (reason === undefined || reason.trim() !== '') return undefined;
  return '--no-lint-gate needs a reason (it is recorded), e.g. --no-lint-gate "index build on a 2k-row table, reviewed in PR 42"';
}
