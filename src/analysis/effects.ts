import { modesOn, type ResolvedFacts } from '../locks/lock-table.js';
import { LOCK_MODES, type LockMode } from '../locks/modes.js';
import type { Role } from '../locks/shape.js';

/**
 * What one statement (or one clause of it) does to the database: which lock-table shape it
 * matches, the facts of that shape on the target PostgreSQL version, and which relations play
 * which role. A statement can have several effects (ALTER TABLE with several subcommands,
 * ADD COLUMN … REFERENCES, DROP TABLE a, b).
 */
export interface Effect {
  /** The lock-table shape id. */
  shape: string;
  facts: ResolvedFacts;
  /** Relation keys (`schema.name`) by role. */
  relations: Partial<Record<Role, string[]>>;
  /** AST location of the clause (byte offset), when the clause has one. */
  location: number | undefined;
  /** Shape-specific details (column names, types, …) rules can use. */
  detail: EffectDetail;
}

export interface EffectDetail {
  column?: string;
  constraint?: string;
  /** For type changes: the types and the verdict. */
  fromType?: string;
  toType?: string;
  typeChangeReason?: string;
  /** The old type was not known (not connected, not created in the linted SQL). */
  oldTypeUnknown?: boolean;
  /** Some old type could reach the new one without a rewrite (text, varchar, numeric, …). */
  mayBeCoercible?: boolean;
  /** timestamp ↔ timestamptz: no rewrite only when the session TimeZone is UTC. */
  unlessUtc?: boolean;
  /** A USING clause forces a rewrite. */
  using?: boolean;
  /** For ADD COLUMN … DEFAULT: the function that makes the default volatile (or unknown). */
  volatileFunction?: string;
  defaultUnknown?: boolean;
  /** For ATTACH PARTITION with a CHECK that is assumed to match the bounds. */
  checkName?: string;
  /** The object does not exist in what the linter knows. */
  unknownTarget?: boolean;
}

/** The locks of some effects merged per relation, modes in PostgreSQL's order (relations without a lock are left out). */
export function locksByRelation(effects: readonly Effect[]): Array<{ relation: string; modes: LockMode[] }> {
  const byRelation = new Map<string, Set<LockMode>>();
  for (const effect of effects) {
    for (const role of Object.keys(effect.relations) as Role[]) {
      const modes = modesOn(effect.facts, role);
      for (const key of effect.relations[role] ?? []) {
        const set = byRelation.get(key) ?? new Set<LockMode>();
        for (const mode of modes) set.add(mode);
        byRelation.set(key, set);
      }
    }
  }
  return [...byRelation]
    .filter(([, modes]) => modes.size > 0)
    .map(([relation, modes]) => ({ relation, modes: LOCK_MODES.filter((m) => modes.has(m)) }));
}
