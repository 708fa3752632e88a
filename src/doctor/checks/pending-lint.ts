/**
 * `pending-lint`: the pending migrations through the lint gate that `deploy` and `migrate` run
 * (src/migrate/lint-gate.ts: live schema, tables created in the same run, small tables), so that
 * doctor never says "ready" for a deploy the gate would stop. Read-only: nothing is locked or
 * recorded.
 */
import { FIXABLE_RULES } from '../../fix/fixable-rules.js';
import { gateLintOptions, lintForGate } from '../../migrate/lint-gate.js';
import { formatGateFinding } from '../../migrate/lint-gate-finding.js';
import { computeStatus, readStatusInputs } from '../../migrate/status.js';
import { DEFAULT_TIMEOUTS } from '../../migrate/timeouts.js';
import { loadParser } from '../../sql/parser.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped, loadDoctorSource } from './migrations.js';

export const pendingLintCheck: DoctorCheck = {
  id: 'pending-lint',
  title: 'Lint gate on the pending migrations',
  level: 'fail',
  needsDatabase: true,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    if (ctx.config.deploy?.lintGate === false)
      return { status: 'pass', summary: 'the lint gate is off (deploy.lintGate: false)', evidence: [] };
    const source = await loadDoctorSource(ctx);
    const status = computeStatus(await readStatusInputs(ctx.client!, source));
    const pendingIds = new Set(status.entries.filter((e) => e.state === 'pending').map((e) => e.id));
    const pending = source.migrations.filter((m) => pendingIds.has(m.id));
    if (pending.length === 0) return { status: 'pass', summary: 'nothing pending', evidence: [] };
    await loadParser();
    const gate = await lintForGate(
      { client: ctx.client!, pgMajor: ctx.serverMajor ?? 15 },
      pending,
      gateLintOptions(ctx.config),
      ctx.cwd,
      ctx.config.migrate?.lockTimeout ?? DEFAULT_TIMEOUTS.lockTimeoutMs,
    );
    const warnings = gate.warnings ? `, ${gate.warnings} warning(s)` : '';
    if (gate.errors.length === 0)
      return {
        status: 'pass',
        summary: `${gate.files} pending file(s) pass the lint gate${warnings}`,
        evidence: [],
      };
    return {
      status: 'fail',
      summary: `deploy would stop at the lint gate: ${gate.errors.length} error(s) in ${gate.files} pending file(s)${warnings}`,
      evidence: capped(gate.errors.map(formatGateFinding)),
      fix: `${gate.errors.some((e) => FIXABLE_RULES.has(e.rule)) ? 'pgwarden fix <migration> rewrites the newest pending migration into the safe sequence. ' : ''}Or ignore a rule where it is safe, with a reason on the line before the statement (-- pgwarden-ignore <rule>: <why>).`,
    };
  },
};
