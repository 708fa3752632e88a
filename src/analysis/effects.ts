import type { ResolvedFacts } from '../locks/lock-table.js';
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
