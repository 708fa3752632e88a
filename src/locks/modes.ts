/**
 * PostgreSQL's eight table-level lock modes, their conflicts and what each one blocks in plain
 * words. Source: https://www.postgresql.org/docs/current/explicit-locking.html (Table 13.2).
 */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

const A = 'AccessShareLock';
const RS = 'RowShareLock';
const RE = 'RowExclusiveLock';
const SUE = 'ShareUpdateExclusiveLock';
const S = 'ShareLock';
const SRE = 'ShareRowExclusiveLock';
const E = 'ExclusiveLock';
const AE = 'AccessExclusiveLock';

export const CONFLICTS: Readonly<Record<LockMode, readonly LockMode[]>> = {
  AccessShareLock: [AE],
  RowShareLock: [E, AE],
  RowExclusiveLock: [S, SRE, E, AE],
  ShareUpdateExclusiveLock: [SUE, S, SRE, E, AE],
  ShareLock: [RE, SUE, SRE, E, AE],
  ShareRowExclusiveLock: [RE, SUE, S, SRE, E, AE],
  ExclusiveLock: [RS, RE, SUE, S, SRE, E, AE],
  AccessExclusiveLock: [A, RS, RE, SUE, S, SRE, E, AE],
};

/** The SQL spelling, e.g. `ACCESS EXCLUSIVE`. */
export function lockModeSql(mode: LockMode): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/** The set of modes a set of held modes conflicts with (what they block, together). */
export function conflictSet(modes: Iterable<LockMode>): Set<LockMode> {
  const out = new Set<LockMode>();
  for (const mode of modes) for (const c of CONFLICTS[mode]) out.add(c);
  return out;
}

/** The strongest of some modes (by position in the list above), or undefined for none. */
export function strongest(modes: Iterable<LockMode>): LockMode | undefined {
  let best = -1;
  for (const mode of modes) best = Math.max(best, LOCK_MODES.indexOf(mode));
  return best < 0 ? undefined : LOCK_MODES[best];
}

/** What ordinary application traffic a set of held modes blocks. */
export interface Blocks {
  reads: boolean; // SELECT (ACCESS SHARE)
  writes: boolean; // INSERT/UPDATE/DELETE (ROW EXCLUSIVE)
  rowLocks: boolean; // SELECT … FOR UPDATE/SHARE (ROW SHARE)
  ddl: boolean; // VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and other schema changes (SHARE UPDATE EXCLUSIVE)
}

export function blocks(modes: Iterable<LockMode>): Blocks {
  const c = conflictSet(modes);
  return {
    reads: c.has(A),
    writes: c.has(RE),
    rowLocks: c.has(RS),
    ddl: c.has(SUE),
  };
}

/** True when the modes block reads or writes of the application. */
export function isDisruptive(modes: Iterable<LockMode>): boolean {
  const b = blocks(modes);
  return b.reads || b.writes || b.rowLocks;
}

/** "reads and writes", "writes", "schema changes and VACUUM", … */
export function describeBlocks(modes: Iterable<LockMode>): string {
  const b = blocks(modes);
  if (b.reads) return 'all reads and writes';
  if (b.writes && b.rowLocks) return 'writes and SELECT … FOR UPDATE';
  if (b.writes) return 'writes (INSERT, UPDATE, DELETE)';
  if (b.rowLocks) return 'SELECT … FOR UPDATE/SHARE';
  if (b.ddl) return 'VACUUM, ANALYZE and other schema changes, not reads or writes';
  return 'nothing the application does';
}
