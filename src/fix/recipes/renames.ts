/**
 * Renames without breaking the app version still running:
 * - RENAME TABLE: the table renamed and an updatable view under the old name (a catalog change),
 *   dropped in a contract step once no app uses the old name;
 * - RENAME COLUMN: the new column added beside the old one, a trigger keeping the two in sync both
 *   ways (old and new app versions write either), the existing rows copied by a backfill, the
 *   old column's NOT NULL and default carried over; the contract step drops the trigger and the
 *   old column. A column that indexes or constraints use is kept as written: they would have to
 *   be built again on the new column first.
 */
import type { Piece } from '../recipe.js';
import { constraintName, ident, subject } from './names.js';
import { notNullPieces } from './not-null.js';

/** What fix knows of a column from the live catalog. */
export interface ColumnFacts {
  type: string;
  notNull: boolean;
  default: string | undefined;
  /** indexes or constraints (other than NOT NULL) use it */
  usedByConstraints: boolean;
}

export type ColumnLookup = (
  schema: string | undefined,
  table: string,
  column: string,
) => ColumnFacts | undefined;

export function renameTablePieces(node: any): Piece[] | undefined {
  if (node.renameType !== 'OBJECT_TABLE' || !node.relation) return undefined;
  const schema = node.relation.schemaname as string | undefined;
  const qualify = (name: string) => (schema ? `${ident(schema)}.${ident(name)}` : ident(name));
  const oldName = node.relation.relname as string;
  const about = subject(oldName, 'to', node.newname);
  return [
    {
      phase: 'expand',
      sql: `ALTER TABLE ${qualify(oldName)} RENAME TO ${ident(node.newname)};\nCREATE VIEW ${qualify(oldName)} AS SELECT * FROM ${qualify(node.newname)};`,
      down: `DROP VIEW IF EXISTS ${qualify(oldName)};\nALTER TABLE ${qualify(node.newname)} RENAME TO ${ident(oldName)};`,
      why: 'renames the table and keeps the old name as a view: the app version still running reads and writes through it (a simple view is updatable)',
      subject: about,
    },
    {
      phase: 'contract',
      sql: `DROP VIEW ${qualify(oldName)};`,
      why: 'drops the old name once no running app version uses it',
      subject: about,
    },
  ];
}

export function renameColumnPieces(node: any, lookup: ColumnLookup | undefined): Piece[] | undefined {
  if (node.renameType !== 'OBJECT_COLUMN' || node.relationType !== 'OBJECT_TABLE' || !node.relation)
    return undefined;
  const schema = node.relation.schemaname as string | undefined;
  const table = node.relation.relname as string;
  const facts = lookup?.(schema, table, node.subname);
  if (!facts || facts.usedByConstraints) return undefined;
  const t = schema ? `${ident(schema)}.${ident(table)}` : ident(table);
  const from = ident(node.subname);
  const to = ident(node.newname);
  const fn = ident(constraintName(table, `${node.subname}_${node.newname}`, 'sync'));
  const fnQualified = schema ? `${ident(schema)}.${fn}` : fn;
  const about = subject(table, node.subname, 'to', node.newname);
  const sync = `CREATE FUNCTION ${fnQualified}() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.${to} IS NULL THEN NEW.${to} := NEW.${from}; ELSIF NEW.${from} IS NULL THEN NEW.${from} := NEW.${to}; END IF;
  ELSIF NEW.${from} IS DISTINCT FROM OLD.${from} AND NEW.${to} IS NOT DISTINCT FROM OLD.${to} THEN
    NEW.${to} := NEW.${from};
  ELSIF NEW.${to} IS DISTINCT FROM OLD.${to} AND NEW.${from} IS NOT DISTINCT FROM OLD.${from} THEN
    NEW.${from} := NEW.${to};
  END IF;
  RETURN NEW;
END
$sync$;
CREATE TRIGGER ${fn} BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fnQualified}();`;
  const pieces: Piece[] = [
    {
      phase: 'expand',
      sql: `ALTER TABLE ${t} ADD COLUMN ${to} ${facts.type};${facts.default ? `\nALTER TABLE ${t} ALTER COLUMN ${to} SET DEFAULT ${facts.default};` : ''}\n${sync}`,
      down: `DROP TRIGGER IF EXISTS ${fn} ON ${t};\nDROP FUNCTION IF EXISTS ${fnQualified}();\nALTER TABLE ${t} DROP COLUMN IF EXISTS ${to};`,
      why: `adds ${node.newname} beside ${node.subname} and a trigger that keeps the two equal whichever one a write sets: the app version still running and the new one work side by side`,
      subject: about,
    },
    {
      phase: 'backfill',
      sql: `-- pgwarden:backfill\nUPDATE ${t} SET ${to} = ${from} WHERE ${to} IS DISTINCT FROM ${from};`,
      why: 'copies the existing rows in batches of short transactions',
      subject: about,
    },
  ];
  if (facts.notNull) pieces.push(...notNullPieces(`ALTER TABLE ${t}`, table, node.newname));
  pieces.push({
    phase: 'contract',
    sql: `DROP TRIGGER ${fn} ON ${t};\nDROP FUNCTION ${fnQualified}();\n-- pgwarden-ignore ban-drop-column: the contract step of the rename; no running app version reads ${node.subname}\nALTER TABLE ${t} DROP COLUMN ${from};`,
    why: `removes the old column and the sync trigger, once no running app version uses ${node.subname}`,
    subject: about,
  });
  return pieces;
}
