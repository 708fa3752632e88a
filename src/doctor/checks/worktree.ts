/**
 * `worktree`: the project has no uncommitted changes, so the code that deploys is a commit that
 * can be found again (deploy records it). Untracked files count; ignored ones do not. A warning by
 * default: migration files are the migrations-git check's (a failure).
 */
import { worktreeChanges } from '../../migrate/git.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped } from './migrations.js';
import { gitInstalled } from './migrations-git.js';

export const worktreeCheck: DoctorCheck = {
  id: 'worktree',
  title: 'No uncommitted changes in the project',
  level: 'warn',
  needsDatabase: false,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    if (!(await gitInstalled()))
      return { status: 'skip', summary: 'git is not installed (or not on PATH)', evidence: [] };
    const tree = await worktreeChanges(ctx.cwd);
    if (!tree) return { status: 'skip', summary: `${ctx.cwd} is not in a git repository`, evidence: [] };
    const commit = tree.commit ? `commit ${tree.commit.slice(0, 12)}` : 'no commit yet';
    if (tree.changes.length === 0) return { status: 'pass', summary: `clean at ${commit}`, evidence: [] };
    return {
      status: 'fail',
      summary: `${tree.changes.length} uncommitted change(s): what deploys is not ${commit}`,
      evidence: ['git status (paths relative to the repository root):', ...capped(tree.changes)],
      fix: 'Commit or discard them (git add + git commit, git restore, or .gitignore for generated files), and deploy from a commit.',
    };
  },
};
