/**
 * ADD CONSTRAINT without a scan under ACCESS EXCLUSIVE:
 * - FOREIGN KEY / CHECK: added NOT VALID (new rows checked, existing ones not read), then
 *   VALIDATE CONSTRAINT in a migration of its own (SHARE UPDATE EXCLUSIVE on the table, ROW SHARE
 *   on the referenced one: reads and writes go on);
 * - UNIQUE / PRIMARY KEY: the unique index built CONCURRENTLY in a migration of its own, then the
 *   constraint attached to it (`USING INDEX`), a catalog change.
 */
import type { Piece } from '../recipe.js';
import { StatementText } from '../statement-text.js';
import { constraintName, ident, subject } from './names.js';

export function addConstraintPieces(
  command: string,
  prefix: string,
  table: { name: string; sql: string },
  con: any,
): Piece[] | undefined {
  if (con.skip_validation === true || con.indexname) return undefined;
  const columns = (list: any[] | undefined) => (list ?? []).map((k: any) => k.String.sval as string);
  if (con.contype === 'CONSTR_FOREIGN' || con.contype === 'CONSTR_CHECK') {
    const suffix = con.contype === 'CONSTR_FOREIGN' ? 'fkey' : 'check';
    const raw = con.conname ?? constraintName(table.name, columns(con.fk_attrs).join('_') || 'row', suffix);
    const name = ident(raw);
    const definition = con.conname ? command : withName(command, name);
    const about = subject(table.name, raw);
    return [
      {
        phase: 'constrain',
        sql: `${prefix} ${definition} NOT VALID;`,
        down: `${prefix} DROP CONSTRAINT IF EXISTS ${name};`,
        why: 'new and updated rows are checked from now on; existing rows are not read (NOT VALID)',
        subject: about,
      },
      {
        phase: 'validate',
        sql: `${prefix} VALIDATE CONSTRAINT ${name};`,
        why: 'reads the existing rows under SHARE UPDATE EXCLUSIVE: reads and writes go on meanwhile',
        subject: about,
      },
    ];
  }
  if (con.contype === 'CONSTR_UNIQUE' || con.contype === 'CONSTR_PRIMARY') {
    if (con.including?.length || con.where_clause || con.options?.length || con.nulls_not_distinct)
      return undefined;
    const keys = columns(con.keys);
    const primary = con.contype === 'CONSTR_PRIMARY';
    const raw =
      con.conname ?? constraintName(table.name, primary ? '' : keys.join('_'), primary ? 'pkey' : 'key');
    const name = ident(raw.replace(/__+/g, '_'));
    const about = subject(table.name, raw);
    return [
      {
        phase: 'index',
        sql: `CREATE UNIQUE INDEX CONCURRENTLY ${name} ON ${table.sql} (${keys.map(ident).join(', ')});`,
        down: `DROP INDEX CONCURRENTLY IF EXISTS ${name};`,
        why: 'builds the unique index without blocking writes (CONCURRENTLY cannot run in a transaction: a migration of its own)',
        subject: about,
      },
      {
        phase: 'constrain',
        sql: `${prefix} ADD CONSTRAINT ${name} ${primary ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${name};`,
        down: `${prefix} DROP CONSTRAINT IF EXISTS ${name};`,
        why: `attaches the constraint to the index built before: a catalog change${primary ? ' (the key columns must already be NOT NULL, or PostgreSQL scans for NULLs)' : ''}`,
        subject: about,
      },
    ];
  }
  return undefined;
}

/** `ADD FOREIGN KEY …` → `ADD CONSTRAINT name FOREIGN KEY …`. */
function withName(command: string, name: string): string {
  const text = new StatementText(command);
  const add = text.tokens[0]!;
  return `${text.slice(0, add.end)} CONSTRAINT ${name} ${text.slice(add.end)}`;
}
