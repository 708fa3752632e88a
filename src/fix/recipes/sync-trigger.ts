/**
 * What the recipes that build a column anew beside an existing one share (RENAME COLUMN, a type
 * change that rewrites): the trigger that keeps the new column in step with the old one while
 * both exist, and the contract step that removes the old column and the trigger.
 */
import type { ColumnFacts } from '../column-facts.js';
import { constraintName, ident } from './names.js';

export interface SyncTrigger {
  /** The trigger's (and its function's) name. */
  name: string;
  /** The function, qualified like the table. */
  fn: string;
}

export function syncTriggerFor(
  table: { schema: string | undefined; name: string },
  what: string,
): SyncTrigger {
  const name = ident(constraintName(table.name, what, 'sync'));
  return { name, fn: table.schema ? `${ident(table.schema)}.${name}` : name };
}

/** The trigger function with `body` (PL/pgSQL statements before `RETURN NEW`) and its trigger on `t`. */
export function createSyncTrigger(trigger: SyncTrigger, t: string, body: string): string {
  return `CREATE FUNCTION ${trigger.fn}() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
${body}
  RETURN NEW;
END
$sync$;
CREATE TRIGGER ${trigger.name} BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${trigger.fn}();`;
}

export function dropSyncTrigger(trigger: SyncTrigger, t: string, ifExists = false): string {
  const exists = ifExists ? ' IF EXISTS' : '';
  return `DROP TRIGGER${exists} ${trigger.name} ON ${t};\nDROP FUNCTION${exists} ${trigger.fn}();`;
}

/**
 * The contract step's SQL: the trigger dropped, a sequence the old column owns (serial) handed to
 * the new one (else it would go with the old column, which the new one's default still uses),
 * and the old column dropped.
 */
export function dropOldColumn(
  trigger: SyncTrigger,
  t: string,
  columns: { old: string; new: string },
  facts: ColumnFacts,
  why: string,
): string {
  return [
    dropSyncTrigger(trigger, t),
    ...(facts.ownedSequence ? [`ALTER SEQUENCE ${facts.ownedSequence} OWNED BY ${t}.${columns.new};`] : []),
    `-- pgwarden-ignore ban-drop-column: ${why}`,
    `ALTER TABLE ${t} DROP COLUMN ${columns.old};`,
  ].join('\n');
}
