/**
 * ADD COLUMN with NOT NULL or a default that makes PostgreSQL write every row: add the column
 * bare, set the default for new rows, backfill the existing ones in batches, then NOT NULL the
 * safe way (not-null.ts). NOT NULL without a default is kept: no value to backfill with.
 */
import type { Piece } from '../recipe.js';
import type { StatementText } from '../statement-text.js';
import { ident, subject } from './names.js';
import { notNullPieces } from './not-null.js';

export function addColumnPieces(
  text: StatementText,
  prefix: string,
  table: { name: string; sql: string },
  def: any,
): Piece[] | undefined {
  const constraints = (def.constraints ?? []).map((c: any) => c.Constraint);
  if (
    constraints.some((c: any) => !['CONSTR_NOTNULL', 'CONSTR_DEFAULT', 'CONSTR_NULL'].includes(c.contype))
  ) {
    return undefined; // CHECK, REFERENCES, UNIQUE…: their own statements first
  }
  const notNull = constraints.some((c: any) => c.contype === 'CONSTR_NOTNULL');
  const defaults = constraints.filter((c: any) => c.contype === 'CONSTR_DEFAULT');
  // NOT NULL without a default: no value to fill the existing rows with
  if (defaults.length !== 1) return undefined;
  const column = ident(def.colname);
  const stops = constraints.map((c: any) => c.location);
  const type = text.between(def.typeName.location, [...stops, def.collClause?.location]);
  const collation = def.collClause ? text.between(def.collClause.location, stops) : undefined;
  const expression = text.between(text.tokenEnd(defaults[0].location), stops);
  const about = subject(table.name, def.colname);
  const pieces: Piece[] = [
    {
      phase: 'expand',
      sql: `${prefix} ADD COLUMN ${column} ${type}${collation ? ` ${collation}` : ''};`,
      down: `${prefix} DROP COLUMN ${column};`,
      why: 'adds the column with no default and no NOT NULL: a catalog change, ACCESS EXCLUSIVE only for an instant',
      subject: about,
    },
    {
      phase: 'expand',
      sql: `${prefix} ALTER COLUMN ${column} SET DEFAULT ${expression};`,
      why: 'new rows get the default from now on; existing rows are filled by the backfill',
      subject: about,
    },
    {
      phase: 'backfill',
      sql: `-- pgwarden:backfill\nUPDATE ${table.sql} SET ${column} = ${expression} WHERE ${column} IS NULL;`,
      why: 'fills the existing rows in batches, each a short transaction: row locks for one batch at a time (other tools run it as one UPDATE)',
      subject: about,
    },
  ];
  if (notNull) pieces.push(...notNullPieces(prefix, table.name, def.colname));
  return pieces;
}
