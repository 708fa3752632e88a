/**
 * `migrations`: where the database stands against the migrations folder. Pending migrations pass
 * (deploy applies them) and are listed; modified, missing, failed and partial ones — and pending
 * ones older than applied ones, which deploy refuses — fail, with the ids and the way out.
 */
import { join } from 'node:path';
import { displayPath, loadMigrations, type MigrationSource } from '../../migrate/source.js';
import { computeStatus, readStatusInputs, type StatusEntry } from '../../migrate/status.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

/** The migrations of the project as the runner finds them (the database settles the format). */
export function loadDoctorSource(ctx: DoctorContext): Promise<MigrationSource> {
  return loadMigrations({ cwd: ctx.cwd, ...ctx.migrations, client: ctx.client });
}

/** At most `max` lines, then one that says how many more there are. */
export function capped(lines: string[], max = 20): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max), `… and ${lines.length - max} more`];
}

type Problem = 'modified' | 'missing' | 'failed' | 'partial' | 'out of order';

function problemOf(e: StatusEntry): Problem | undefined {
  if (e.state === 'pending') return e.outOfOrder ? 'out of order' : undefined;
  return e.state === 'applied' ? undefined : e.state;
}

const FIXES: Record<Problem, (ids: string[]) => string> = {
  modified: () =>
    'Modified: put back the applied version of the file (git checkout <commit> -- <file>) and make the change in a new migration.',
  missing: () =>
    'Missing: the database is ahead of these files (older code, or another migrations.dir?); deploy the code that has them.',
  failed: (ids) =>
    `Failed: inspect the database, then record the outcome: ${ids.map((id) => `pgwarden resolve ${id} --applied (or --rolled-back)`).join('; ')}.`,
  partial: (ids) =>
    `Partial: pgwarden migrate resumes ${ids.length === 1 ? 'it' : 'them'} where ${ids.length === 1 ? 'it' : 'they'} stopped; or record the outcome with pgwarden resolve ${ids[0]} --applied (or --rolled-back).`,
  'out of order': () =>
    'Out of order: deploy refuses pending migrations older than applied ones; renumber them after the last applied one (or apply them with pgwarden migrate --allow-out-of-order).',
};

export const migrationsCheck: DoctorCheck = {
  id: 'migrations',
  title: 'Migrations vs database history',
  level: 'fail',
  needsDatabase: true,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const source = await loadDoctorSource(ctx);
    const status = computeStatus(await readStatusInputs(ctx.client!, source));
    const where = (e: StatusEntry) =>
      e.path ? `${e.id} (${displayPath(ctx.cwd, join(source.dir, e.path))})` : e.id;
    const c = status.counts;
    const evidence = [
      `${status.format} migrations in ${displayPath(ctx.cwd, status.dir)}, history ${status.historyTable}${status.historyExists ? '' : ' (not created yet)'}`,
      `${c.applied} applied, ${c.pending} pending, ${c.modified} modified, ${c.missing} missing, ${c.failed} failed, ${c.partial} partial`,
    ];
    const pending = status.entries.filter((e) => e.state === 'pending' && !e.outOfOrder);
    evidence.push(...capped(pending.map((e) => `pending: ${where(e)}`)));
    const byProblem = new Map<Problem, StatusEntry[]>();
    for (const e of status.entries) {
      const problem = problemOf(e);
      if (problem) byProblem.set(problem, [...(byProblem.get(problem) ?? []), e]);
    }
    if (byProblem.size === 0) {
      return {
        status: 'pass',
        summary:
          pending.length === 0
            ? `up to date (${c.applied} applied)`
            : `${c.applied} applied, ${pending.length} pending: deploy applies them`,
        evidence,
      };
    }
    const problems = [...byProblem].flatMap(([problem, entries]) =>
      entries.map((e) => `${problem}: ${where(e)}${e.detail ? `: ${e.detail}` : ''}`),
    );
    evidence.push(...capped(problems));
    return {
      status: 'fail',
      summary: `the history does not match the folder: ${[...byProblem].map(([p, entries]) => `${entries.length} ${p}`).join(', ')}`,
      evidence,
      fix: [...byProblem].map(([p, entries]) => FIXES[p](entries.map((e) => e.id))).join(' '),
    };
  },
};
