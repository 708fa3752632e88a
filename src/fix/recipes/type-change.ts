/**
 * A column type change that rewrites the table (ALTER COLUMN … TYPE), without the rewrite under
 * ACCESS EXCLUSIVE:
 * - expand: a column of the new type beside the old one (a catalog change) and a trigger that sets it from the old column on every insert and update (with the USING
 *   expression, or the assignment cast PostgreSQL itself would use);
 * - backfill: the existing rows converted in batches;
 * - NOT NULL the safe way when the old column had it (not-null.ts);
 * - contract: the old column dropped, the new one renamed to its name and given the old default,
 *   in one short transaction — after it the table is what the unsafe statement would have made.
 *   (The default waits for the contract step: a volatile one, a sequence's nextval, would
 *   otherwise be evaluated for the new column too on every insert, only to be overwritten.)
 * The new column has a temporary name that no app version uses, so the trigger needs one
 * direction only: every version reads and writes the column under its own name before and after
 * the swap. A column that indexes, constraints, views or triggers use, or an identity or
 * generated column, is kept as written (the reason is returned): those would have to be built
 * again on the new column.
 */
import { type ColumnLookup, cannotRebuild } from '../column-facts.js';
import type { Piece } from '../recipe.js';
import type { StatementText } from '../statement-text.js';
import { constraintName, ident, subject } from './names.js';
import { notNullPieces } from './not-null.js';
import { createSyncTrigger, dropOldColumn, dropSyncTrigger, syncTriggerFor } from './sync-trigger.js';

export function typeChangePieces(
  text: StatementText,
  prefix: string,
  table: { name: string; schema: string | undefined; sql: string },
  cmd: any,
  lookup: ColumnLookup | undefined,
): Piece[] | string | undefined {
  const def = cmd.def?.ColumnDef;
  if (!def?.typeName) return undefined;
  const facts = lookup?.(table.schema, table.name, cmd.name);
  const refusal = cannotRebuild(facts, table.name, cmd.name);
  if (refusal || !facts) return refusal;
  const temporary = constraintName(cmd.name, 'pgwarden', 'new');
  if (lookup?.(table.schema, table.name, temporary))
    return `column ${table.name}.${temporary}, the name the type change builds its new column under, exists`;

  const using = text.keywordInCommand(def.typeName.location, 'using');
  const type = text.between(def.typeName.location, [def.collClause?.location, using?.start]);
  const collation = def.collClause ? ` ${text.between(def.collClause.location, [using?.start])}` : '';
  const expression = using ? text.between(using.end, []) : undefined;

  const t = table.sql;
  const column = ident(cmd.name);
  const fresh = ident(temporary);
  const trigger = syncTriggerFor(table, `${cmd.name}_type`);
  const about = subject(table.name, cmd.name, 'type');
  const convert = expression
    ? `  NEW.${fresh} := (SELECT (${expression}) FROM (SELECT NEW.*) AS ${ident(table.name)});`
    : `  NEW.${fresh} := NEW.${column};`;
  const pieces: Piece[] = [
    {
      phase: 'expand',
      sql: [
        `${prefix} ADD COLUMN ${fresh} ${type}${collation};`,
        createSyncTrigger(trigger, t, convert),
      ].join('\n'),
      down: `${dropSyncTrigger(trigger, t, true)}\n${prefix} DROP COLUMN IF EXISTS ${fresh};`,
      why: `adds ${temporary} of the new type beside ${cmd.name} (a catalog change) and a trigger that converts every value written to ${cmd.name} into it: the app goes on using ${cmd.name} as it is`,
      subject: about,
    },
    {
      phase: 'backfill',
      sql: `-- pgwarden:backfill\nUPDATE ${t} SET ${fresh} = ${expression ? `(${expression})` : column} WHERE ${fresh} IS NULL;`,
      why: 'converts the existing rows in batches of short transactions',
      subject: about,
    },
  ];
  if (facts.notNull) pieces.push(...notNullPieces(prefix, table.name, temporary));
  pieces.push({
    phase: 'contract',
    sql: [
      dropOldColumn(
        trigger,
        t,
        { old: column, new: fresh },
        facts,
        `the contract step of the type change: the converted column takes the place of ${cmd.name}`,
      ),
      `-- pgwarden-ignore renaming-column: the converted column takes the name of the one dropped just before, in the same transaction: every app version sees ${cmd.name} as before`,
      `ALTER TABLE ${t} RENAME COLUMN ${fresh} TO ${column};`,
      ...(facts.default ? [`${prefix} ALTER COLUMN ${column} SET DEFAULT ${facts.default};`] : []),
    ].join('\n'),
    why: `swaps the converted column in for ${cmd.name} in one short transaction (catalog changes only); from here on ${cmd.name} has the new type`,
    subject: about,
  });
  return pieces;
}
