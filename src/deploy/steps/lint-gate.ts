/**
 * Deploy's lint step: the shared lint gate (src/migrate/lint-gate.ts) on the pending migrations,
 * before the backup and before any change, reported as one step line (deploy.lintGate: false
 * turns it off; --no-lint-gate "<reason>" lets errors through, recorded).
 */
import { isPgwardenError } from '../../errors/pgwarden-error.js';
import { gateLintOptions, runLintGate } from '../../migrate/lint-gate.js';
import type { GateFinding } from '../../migrate/lint-gate-finding.js';
import type { LockedSession } from '../../migrate/migrate.js';
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
  const gate = await runLintGate(
    session,
    session.target.source.migrations.filter((m) => ids.has(m.id)),
    { ...gateLintOptions(options.config), override: options.lintGateOverride },
    { command: 'deploy', cwd: options.cwd },
  ).catch((error: unknown) => {
    if (isPgwardenError(error) && error.code === 'LINT_GATE') {
      const findings = (error.details?.findings as GateFinding[] | undefined) ?? [];
      run.step('lint', 'fail', `${findings.length} error(s) in pending migrations`, t);
    }
    throw error;
  });
  const warnings = gate.warnings ? `, ${gate.warnings} warning(s)` : '';
  if (gate.overridden !== undefined) {
    const through = gate.errors.map((f) => `${f.path}:${f.line} ${f.rule}`).join(', ');
    run.step(
      'lint',
      'warn',
      `lint gate overridden (--no-lint-gate, recorded in pgwarden.events): "${gate.overridden}"; ${gate.errors.length} error(s) let through: ${through}${warnings}`,
      t,
    );
    return;
  }
  run.step('lint', 'ok', `${gate.files} file(s), no errors${warnings}`, t);
}
