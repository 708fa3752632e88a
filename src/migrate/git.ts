/**
 * What git says about the migration files: are they all committed? A migration that exists only
 * in one working copy (untracked) or differs from the commit (modified, staged or not) is how
 * "it worked on my machine" reaches production, so the runner refuses it unless told otherwise.
 */
import { realpathSync } from 'node:fs';
import { relative } from 'node:path';
import { run } from '../util/process.js';

export interface GitState {
  /** False when the directory is not in a git work tree (or git is not installed). */
  inRepo: boolean;
  /** HEAD's commit, when there is one. */
  commit?: string;
  /** Migration files git does not track (new, or ignored), relative to the repository root. */
  untracked: string[];
  /** Tracked migration files with uncommitted changes (staged or not). */
  modified: string[];
}

export async function gitState(dir: string, files: readonly string[]): Promise<GitState> {
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  if (top === undefined) return { inRepo: false, untracked: [], modified: [] };
  const root = realpathSync(top.trim());
  const commit = (await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']))?.trim() || undefined;
  // git prints paths from the real root; a symlinked temp or home directory must not hide a file
  const wanted = new Set(files.map((f) => relative(root, realpathOr(f)).split('\\').join('/')));
  const tracked = new Set(split(await git(root, ['ls-files', '-z', '--', ...wanted])));
  const untracked = [...wanted].filter((f) => !tracked.has(f)).sort();
  const modified = new Set<string>();
  // porcelain v1 -z: "XY path\0"; renames add the original path as a second entry
  const entries = split(
    await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=no', '--', ...wanted]),
  );
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const status = entry.slice(0, 2);
    const path = entry.slice(3);
    if (wanted.has(path)) modified.add(path);
    if (status.includes('R') || status.includes('C')) i++;
  }
  return { inRepo: true, ...(commit ? { commit } : {}), untracked, modified: [...modified].sort() };
}

/**
 * Uncommitted changes anywhere in the work tree holding `dir` ("XY path" as git status prints
 * them, untracked files included, ignored ones not); undefined when it is not a git work tree.
 */
export async function worktreeChanges(
  dir: string,
): Promise<{ commit?: string; changes: string[] } | undefined> {
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  if (top === undefined) return undefined;
  const commit = await gitCommit(dir);
  const entries = split(await git(top.trim(), ['status', '--porcelain=v1', '-z', '--untracked-files=all']));
  const changes: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    changes.push(`${entry.slice(0, 2).replace(/\s/g, ' ')} ${entry.slice(3)}`);
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return { ...(commit ? { commit } : {}), changes };
}

/** HEAD's commit of the repository holding `dir`, if any. */
export async function gitCommit(dir: string): Promise<string | undefined> {
  return (await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']))?.trim() || undefined;
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await run('git', args, { cwd, timeoutMs: 30_000 });
    return result.code === 0 ? result.stdout : undefined;
  } catch {
    return undefined; // git is not installed
  }
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function split(output: string | undefined): string[] {
  return output ? output.split('\0').filter((s) => s.length > 0) : [];
}
