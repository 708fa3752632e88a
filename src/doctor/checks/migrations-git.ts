/**
 * `migrations-git`: every migration file is committed — none untracked, none with uncommitted
 * edits — so what deploys is what the repository holds. Skipped (with the reason) when git is not
 * installed or the project is not a git repository.
 */

import { gitState } from '../../migrate/git.js';
import { displayPath } from '../../migrate/source.js';
import { run } from '../../util/process.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped, loadDoctorSource } from './migrations.js';

export async function gitInstalled(): Promise<boolean> {
  try {
    return (await run('git', ['--version'], { timeoutMs: 10_000 })).code === 0;
  } catch {
    return false;
  }
}

export const migrationsGitCheck: DoctorCheck = {
  id: 'migrations-git',
  title: 'Migration files committed to git',
  level: 'fail',
  needsDatabase: false,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    if (!(await gitInstalled()))
      return { status: 'skip', summary: 'git is not installed (or not on PATH)', evidence: [] };
    let source: Awaited<ReturnType<typeof loadDoctorSource>>;
    try {
      source = await loadDoctorSource(ctx);
    } catch (error) {
      return {
        status: 'skip',
        summary: `the migrations cannot be read (see the migrations check): ${(error as Error).message}`,
        evidence: [],
      };
    }
    const dir = displayPath(ctx.cwd, source.dir);
    const files = [
      ...new Set(source.migrations.flatMap((m) => [m.up.path, ...(m.down ? [m.down.path] : [])])),
    ];
    if (files.length === 0) return { status: 'pass', summary: `no migration files in ${dir}`, evidence: [] };
    const git = await gitState(source.dir, files);
    if (!git.inRepo) return { status: 'skip', summary: `${dir} is not in a git repository`, evidence: [] };
    const problems = [
      ...git.untracked.map((f) => `untracked: ${f}`),
      ...git.modified.map((f) => `modified: ${f}`),
    ];
    const commit = git.commit ? `commit ${git.commit.slice(0, 12)}` : 'no commit yet';
    if (problems.length === 0) {
      return {
        status: 'pass',
        summary: `${files.length} migration file(s) in ${dir} committed`,
        evidence: [commit],
      };
    }
    return {
      status: 'fail',
      summary: `${problems.length} migration file(s) not committed: what would deploy is not what the repository holds`,
      evidence: [`${commit}; paths relative to the repository root`, ...capped(problems)],
      fix: 'Commit them (git add + git commit) or remove them; deploy and migrate refuse uncommitted migration files unless --allow-uncommitted.',
    };
  },
};
