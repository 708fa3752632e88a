/**
 * NOT NULL on a column of a table with rows, without a scan under ACCESS EXCLUSIVE: a CHECK
 * (col IS NOT NULL) added NOT VALID, validated in a migration of its own (SHARE UPDATE EXCLUSIVE:
 * reads and writes go on), then SET NOT NULL — which PostgreSQL 12+ proves from the validated
 * check without reading the table — and the check dropped.
 */
import type { Piece } from '../recipe.js';
import { constraintName, ident, subject } from './names.js';

export function notNullPieces(prefix: string, table: string, column: string): Piece[] {
  const check = ident(constraintName(table, column, 'not_null'));
  const col = ident(column);
  const about = subject(table, column, 'not_null');
  return [
    {
      phase: 'constrain',
      sql: `${prefix} ADD CONSTRAINT ${check} CHECK (${col} IS NOT NULL) NOT VALID;`,
      down: `${prefix} DROP CONSTRAINT IF EXISTS ${check};`,
      why: 'new and updated rows must have a value from now on; existing rows are not read (NOT VALID)',
      subject: about,
    },
    {
      phase: 'validate',
      sql: `${prefix} VALIDATE CONSTRAINT ${check};`,
      why: 'reads the table under SHARE UPDATE EXCLUSIVE: reads and writes go on meanwhile',
      subject: about,
    },
    {
      phase: 'tighten',
      sql: `${prefix} ALTER COLUMN ${col} SET NOT NULL;\n${prefix} DROP CONSTRAINT ${check};`,
      down: `${prefix} ALTER COLUMN ${col} DROP NOT NULL;`,
      why: 'PostgreSQL 12+ proves NOT NULL from the validated check without reading the table: ACCESS EXCLUSIVE only for an instant; the check is then redundant',
      subject: about,
    },
  ];
}
