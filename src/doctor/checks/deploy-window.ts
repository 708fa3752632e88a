/**
 * `deploy-window`: whether a deploy may run now (deploy.windows: allowed weekly windows and freeze
 * periods, time zone aware); when closed, why and the next allowed time.
 */
import { checkWindow, formatLocal } from '../../deploy/window.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

export const deployWindowCheck: DoctorCheck = {
  id: 'deploy-window',
  title: 'Deploy window',
  level: 'warn',
  needsDatabase: false,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const windows = ctx.config.deploy?.windows;
    if (!windows) return { status: 'pass', summary: 'no deploy windows configured: any time', evidence: [] };
    const window = checkWindow(windows, ctx.now);
    const evidence = [`now: ${formatLocal(ctx.now, window.timezone)}`];
    if (window.open) return { status: 'pass', summary: 'the deploy window is open now', evidence };
    const next = window.next ? formatLocal(window.next, window.timezone) : undefined;
    return {
      status: 'fail',
      summary: `deploys are refused now: ${window.reason}`,
      evidence: [...evidence, `next allowed: ${next ?? 'none within a year'}`],
      fix: `${next ? `Deploy from ${next}, ` : 'Change deploy.windows, '}or pass --force-window "<reason>" to deploy (the reason is recorded).`,
    };
  },
};
