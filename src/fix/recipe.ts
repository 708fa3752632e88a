/**
 * What `pgwarden fix` writes for one unsafe statement: pieces of SQL, each in a phase of the safe
 * sequence. Phases run in this order, each a migration of its own (`backfill` and `index` pieces
 * one migration each, outside any transaction; `contract` marked so that it never runs in the run
 * of its expand step); every piece says why it is where it is.
 */
import type { Statement } from '../sql/statement.js';
import type { StatementText } from './statement-text.js';

export const PHASES = [
  'expand',
  'backfill',
  'index',
  'constrain',
  'validate',
  'tighten',
  'contract',
] as const;
export type Phase = (typeof PHASES)[number];

export interface Piece {
  phase: Phase;
  /** The SQL, ending with `;`. */
  sql: string;
  /** What undoes it, where that is simple and safe. */
  down?: string;
  /** One line: what this step does and why it takes only the locks it takes. */
  why: string;
  /** What it is about, for file names: `users_email_verified`. */
  subject: string;
}

export interface RecipeInput {
  stmt: Statement;
  /** The statement's parse node, parsed from its own text (locations are offsets into `text`). */
  node: any;
  text: StatementText;
  /** The rules lint reported on the statement. */
  rules: Set<string>;
}
