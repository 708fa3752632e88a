import type { LockMode } from './modes.js';
import type { LockShape, Role, ShapeFacts } from './shape.js';
import { ALL_SHAPES } from './shapes/index.js';

export type { LockShape, Role, ShapeFacts } from './shape.js';

const byId = new Map<string, LockShape>(ALL_SHAPES.map((shape) => [shape.id, shape]));

export function allShapes(): readonly LockShape[] {
  return ALL_SHAPES;
}

export function getShape(id: string): LockShape {
  const shape = byId.get(id);
  if (!shape) throw new Error(`unknown lock shape: ${id}`);
  return shape;
}

export interface ResolvedFacts extends ShapeFacts {
  shape: LockShape;
  pgMajor: number;
  /** False when the statement does not exist on this major. */
  supported: boolean;
  /** Why the facts differ from the current ones on this major, if they do. */
  versionNote: string | undefined;
}

/** The facts of a shape on one PostgreSQL major version. */
export function factsFor(id: string, pgMajor: number): ResolvedFacts {
  const shape = getShape(id);
  const older = (shape.older ?? [])
    .filter((entry) => pgMajor < entry.before)
    .sort((a, b) => a.before - b.before)[0];
  return {
    shape,
    pgMajor,
    supported: shape.since === undefined || pgMajor >= shape.since,
    versionNote: older?.note,
    locks: older?.locks ?? shape.locks,
    rewrites: older?.rewrites ?? shape.rewrites,
    scans: older?.scans ?? shape.scans,
    transactional: older?.transactional ?? shape.transactional,
  };
}

/** The lock modes a shape takes on the relation playing `role`. */
export function modesOn(facts: ShapeFacts, role: Role): LockMode[] {
  return facts.locks.filter((lock) => lock.on === role).flatMap((lock) => lock.modes);
}
