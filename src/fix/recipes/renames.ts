/**
 * Renames without breaking the app version still running:
 * - RENAME TABLE: the table renamed and an updatable view under the old name (a catalog change),
 *   dropped in a contract step once no app uses the old name;
 * - RENAME COLUMN: the new column added beside the old one, a trigger keeping the two in sync both
 *   ways (old and new app versions write either), the existing rows copied by a backfill, the
 *   old column's NOT NULL carried over; the contract step drops the trigger and the old column
 *   and gives the new one the old default (earlier, a volatile default would give the two columns
 *   of a new row different values). A column that indexes, constraints, views or triggers use,
 *   or an identity or generated one, is kept as written: those would have to be built again on
 *   the new column first.
 */
import { type ColumnLookup, cannotRebuild } from '../column-facts.js';
import type { Piece } from '../recipe.js';
import { ident, subject } from './names.js';
import { notNullPieces } from './not-null.js';
import { createSyncTrigger, dropOldColumn, dropSyncTrigger, syncTriggerFor } from './sync-trigger.js';

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

export function renameColumnPieces(
  node: any,
  lookup: ColumnLookup | undefined,
): Piece[] | string | undefined {
  if (node.renameType !== 'OBJECT_COLUMN' || node.relationType !== 'OBJECT_TABLE' || !node.relation)
    return undefined;
  const schema = node.relation.schemaname as string | undefined;
  const table = node.relation.relname as string;
  const facts = lookup?.(schema, table, node.subname);
  const refusal = cannotRebuild(facts, table, node.subname);
  if (refusal || !facts) return refusal;
  const t = schema ? `${ident(schema)}.${ident(table)}` : ident(table);
  const prefix = `ALTER TABLE ${t}`;
  const from = ident(node.subname);
  const to = ident(node.newname);
  const trigger = syncTriggerFor({ schema, name: table }, `${node.subname}_${node.newname}`);
  const about = subject(table, node.subname, 'to', node.newname);
  // an insert that sets the new name wins; one that does not (the app version still running) had
  // the old column set, by the app or by its default, and the new one follows it
  const sync = createSyncTrigger(
    trigger,
    t,
    `  IF TG_OP = 'INSERT' THEN
    IF NEW.${to} IS NULL THEN NEW.${to} := NEW.${from}; ELSE NEW.${from} := NEW.${to}; END IF;
  ELSIF NEW.${from} IS DISTINCT FROM OLD.${from} AND NEW.${to} IS NOT DISTINCT FROM OLD.${to} THEN
    NEW.${to} := NEW.${from};
  ELSIF NEW.${to} IS DISTINCT FROM OLD.${to} AND NEW.${from} IS NOT DISTINCT FROM OLD.${from} THEN
    NEW.${from} := NEW.${to};
  END IF;`,
  );
  const pieces: Piece[] = [
    {
      phase: 'expand',
      sql: `${prefix} ADD COLUMN ${to} ${facts.type};\n${sync}`,
      down: `${dropSyncTrigger(trigger, t, true)}\n${prefix} DROP COLUMN IF EXISTS ${to};`,
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
  if (facts.notNull) pieces.push(...notNullPieces(prefix, table, node.newname));
  pieces.push({
    phase: 'contract',
    sql: [
      dropOldColumn(
        trigger,
        t,
        { old: from, new: to },
        facts,
        `the contract step of the rename; no running app version reads ${node.subname}`,
      ),
      ...(facts.default ? [`${prefix} ALTER COLUMN ${to} SET DEFAULT ${facts.default};`] : []),
    ].join('\n'),
    why: `removes the old column and the sync trigger, once no running app version uses ${node.subname}, and gives ${node.newname} its default`,
    subject: about,
  });
  return pieces;
}
