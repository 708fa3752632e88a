/** Plain-words rendering of lock-table entries, for docs and `--explain`. */

import { describeBlocks, lockModeSql, strongest } from './modes.js';
import type { LockShape, Role, ShapeFacts } from './shape.js';

const ROLE_WORDS: Record<Role, string> = {
  table: 'the table',
  indexes: 'its indexes',
  index: 'the index',
  'column-indexes': "the column's indexes",
  referenced: 'the referenced table',
  referencing: 'the referencing tables',
  parent: 'the partitioned parent',
  partition: 'the partition',
  partitions: 'every partition',
  source: 'the tables read',
  sequence: 'the sequence',
};

export function describeShapeLocks(facts: ShapeFacts): string {
  if (facts.locks.length === 0) return 'no table lock';
  return facts.locks
    .map(
      (lock) =>
        `${lockModeSql(strongest(lock.modes)!)} on ${ROLE_WORDS[lock.on]} (blocks ${describeBlocks(lock.modes)})`,
    )
    .join('; ');
}

export function describeRoles(roles: Role[]): string {
  return roles.length === 0 ? 'no' : roles.map((r) => ROLE_WORDS[r]).join(', ');
}

/** One markdown table row: statement | locks | rewrites | scans | in a transaction block. */
export function shapeRow(shape: LockShape): string {
  const cells = [
    `\`${shape.id}\`: ${shape.title}${shape.since ? ` (PostgreSQL ${shape.since}+)` : ''}`,
    describeShapeLocks(shape),
    describeRoles(shape.rewrites),
    describeRoles(shape.scans),
    shape.transactional ? 'yes' : '**no**',
  ];
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const SHAPE_TABLE_HEADER =
  '| statement | locks (held until the transaction ends) | rewrites | scans | allowed in a transaction |\n|---|---|---|---|---|';

/** Differences on older majors, as bullet points. */
export function olderNotes(shape: LockShape): string[] {
  return (shape.older ?? []).map((o) => `\`${shape.id}\`: ${o.note}`);
}
