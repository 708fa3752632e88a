/**
 * The safe sequence as migrations: the pieces of every statement (kept ones included, in the
 * file's order) grouped by phase — expand, then each backfill and each CONCURRENTLY index step as
 * a migration of its own (outside any transaction), then constrain, validate and tighten, one
 * migration each — every file opening with what it is and why.
 */
import { PHASES, type Phase, type Piece } from './recipe.js';

export interface SequencedMigration {
  phase: Phase;
  name: string;
  up: string;
  down?: string;
  transaction: boolean;
}

const ALONE: ReadonlySet<Phase> = new Set(['backfill', 'index']);

const PHASE_NOTE: Record<Phase, string> = {
  expand: 'expand: schema changes that only touch the catalog',
  backfill: 'backfill: existing rows filled in batches (pgwarden runs it in short transactions)',
  index: 'index: built or dropped CONCURRENTLY, outside any transaction',
  constrain: 'constrain: constraints added without reading the table',
  validate: 'validate: existing rows checked while reads and writes go on',
  tighten: 'tighten: the final constraint, proven without a table scan',
  contract: 'contract: what the previous app version used, removed once it no longer runs',
};

/** Stands for the expand migration's id in a contract step until the files' ids are known. */
export const EXPAND_ID = '{{expand-id}}';

export function sequence(pieces: Piece[], origin: string, fallbackName: string): SequencedMigration[] {
  const groups: Array<{ phase: Phase; pieces: Piece[] }> = [];
  for (const phase of PHASES) {
    const inPhase = pieces.filter((p) => p.phase === phase);
    if (inPhase.length === 0) continue;
    if (ALONE.has(phase)) for (const piece of inPhase) groups.push({ phase, pieces: [piece] });
    else groups.push({ phase, pieces: inPhase });
  }
  return groups.map((group, i) => {
    const about = group.pieces.find((p) => p.why !== '')?.subject ?? fallbackName;
    const header = [
      ...(group.phase === 'contract' ? [`-- pgwarden:contract after=${EXPAND_ID}`] : []),
      `-- Written by pgwarden fix from ${origin}: step ${i + 1} of ${groups.length}.`,
      `-- ${PHASE_NOTE[group.phase]}.`,
    ];
    const body = group.pieces.map((p) => (p.why ? `-- ${p.why}\n${p.sql}` : p.sql));
    const downs = group.pieces
      .map((p) => p.down)
      .filter((d): d is string => d !== undefined)
      .reverse();
    return {
      phase: group.phase,
      name: `${group.phase}_${about}`.slice(0, 80),
      up: `${header.join('\n')}\n${body.join('\n')}\n`,
      ...(downs.length ? { down: `${downs.join('\n')}\n` } : {}),
      transaction: !ALONE.has(group.phase),
    };
  });
}
