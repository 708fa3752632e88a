/**
 * The lint gate: the pending migrations are linted as the runner will run them; an error stops the
 * deploy before the backup and before any change (deploy.lintGate: false turns it off).
 */
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { lint } from '../../lint/lint.js';
import { lintSourcesOf } from '../../migrate/lint-sources.js';
import type { LockedSession } from '../../migrate/migrate.js';
import { displayPath } from '../../migrate/source.js';
import type { DeployRun } from '../context.js';

export async function lintGate(
  run: DeployRun,
  session: LockedSession,
  pending: readonly string[],
): Promise<void> {
  const { options } = run;
  const t = Date.now();
  if (options.config.deploy?.lintGate === false) {
    run.step('lint', 'skip', 'lint gate off (deploy.lintGate)', t);
    return;
  }
  const ids = new Set(pending);
  const result = await lint({
    paths: [],
    sources: lintSourcesOf(session.target.source.migrations.filter((m) => ids.has(m.id))),
    pgVersion: session.target.pgMajor,
    runner: 'pgwarden',
    ...(options.config.lint?.rules ? { rules: options.config.lint.rules } : {}),
    ...(options.config.lint?.presets ? { presets: options.config.lint.presets } : {}),
    jobs: 1,
  });
  const errors = result.files.flatMap((f) =>
    f.findings
      .filter((x) => x.level === 'error')
      .map((x) => `${displayPath(options.cwd, f.path)}:${x.line} ${x.rule}: ${x.message}`),
  );
  if (errors.length > 0) {
    run.step('lint', 'fail', `${errors.length} error(s) in pending migrations`, t);
    throw new PgwardenError(
      'LINT_GATE',
      `deploy stopped before any change: lint errors in pending migrations:\n  ${errors.join('\n  ')}`,
      {
        hint: 'Fix them, or ignore one with a reason (-- pgwarden-ignore <rule>: <why>) on the line before the statement.',
      },
    );
  }
  run.step(
    'lint',
    'ok',
    `${result.summary.files} file(s), no errors${result.summary.warnings ? `, ${result.summary.warnings} warning(s)` : ''}`,
    t,
  );
}
