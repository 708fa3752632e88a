/**
 * The live state of the database a restore replaces, read before it, and the check after a failed
 * restore that says honestly whether the database is as it was: every schema, extension and
 * relation of the non-system schemas with its OID (a drop and re-creation that got committed
 * changes them all), and the exact rows of every table pg_dump dumps (each counted within a time
 * limit; a table too big for it has the planner's estimate, and its rows are not compared).
 */
import type pg from 'pg';
import { connect, scrub } from '../db/connect.js';
import { displayTable, tableKey } from './copy-counter.js';
import { DUMPED_TABLES_SQL } from './snapshot.js';

export interface LiveTable {
  schema: string;
  name: string;
  rows: number;
  /** `rows` is the planner's estimate: the exact count took too long */
  estimated: boolean;
}

export interface LiveObject {
  oid: string;
  /** `schema`, `extension`, or pg_class.relkind */
  kind: string;
  schema: string;
  name: string;
}

export interface LiveState {
  objects: LiveObject[];
  tables: LiveTable[];
}

export type StateCheck =
  | { state: 'unchanged'; objects: number; tables: number; notCompared: number }
  | { state: 'changed'; differences: string[] }
  | { state: 'unknown'; reason: string };

const EXACT_COUNT_TIMEOUT_MS = 15_000;
const SHOWN_DIFFERENCES = 8;

const OBJECTS_SQL = `
  SELECT n.oid::text AS oid, 'schema' AS kind, '' AS schema, n.nspname AS name
    FROM pg_namespace n
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  UNION ALL
  SELECT e.oid::text, 'extension', '', e.extname FROM pg_extension e
  UNION ALL
  SELECT c.oid::text, c.relkind::text, n.nspname, c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
   ORDER BY 1`;

/** Reads the state on an open connection (read-only; counts each table within a time limit). */
export async function readLiveState(client: pg.Client): Promise<LiveState> {
  const objects = (await client.query<LiveObject>(OBJECTS_SQL)).rows;
  const list = (await client.query<{ schema: string; name: string }>(DUMPED_TABLES_SQL)).rows;
  const tables: LiveTable[] = [];
  await client.query(`SET statement_timeout = ${EXACT_COUNT_TIMEOUT_MS}`);
  try {
    for (const t of list) {
      const q = `${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.name)}`;
      try {
        const r = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${q}`);
        tables.push({ ...t, rows: Number(r.rows[0]!.n), estimated: false });
      } catch {
        const r = await client.query<{ n: string }>(
          `SELECT greatest(reltuples, 0)::bigint::text AS n FROM pg_class WHERE oid = $1::regclass`,
          [q],
        );
        tables.push({ ...t, rows: Number(r.rows[0]?.n ?? 0), estimated: true });
      }
    }
  } finally {
    await client.query('SET statement_timeout = 0');
  }
  return { objects, tables };
}

/** What differs between two states (objects by OID, exact row counts); empty when none. */
export function compareLiveState(
  before: LiveState,
  after: LiveState,
): { differences: string[]; notCompared: number } {
  const differences: string[] = [];
  const name = (o: LiveObject) =>
    o.kind === 'schema' || o.kind === 'extension'
      ? `${o.kind} ${displayTable('', o.name)}`
      : displayTable(o.schema, o.name);
  const byOid = new Map(after.objects.map((o) => [o.oid, o]));
  const beforeOids = new Set(before.objects.map((o) => o.oid));
  const afterByName = new Map(after.objects.map((o) => [`${o.kind}:${tableKey(o.schema, o.name)}`, o]));
  for (const o of before.objects) {
    const now = byOid.get(o.oid);
    if (now && now.kind === o.kind && now.schema === o.schema && now.name === o.name) continue;
    if (now) differences.push(`${name(o)} is now ${name(now)}`);
    else if (afterByName.has(`${o.kind}:${tableKey(o.schema, o.name)}`))
      differences.push(`${name(o)} was dropped and created again`);
    else differences.push(`${name(o)} is gone`);
  }
  const beforeByName = new Set(before.objects.map((o) => `${o.kind}:${tableKey(o.schema, o.name)}`));
  for (const o of after.objects) {
    if (!beforeOids.has(o.oid) && !beforeByName.has(`${o.kind}:${tableKey(o.schema, o.name)}`)) {
      differences.push(`${name(o)} did not exist before`);
    }
  }
  const rowsAfter = new Map(after.tables.map((t) => [tableKey(t.schema, t.name), t]));
  let notCompared = 0;
  for (const t of before.tables) {
    const now = rowsAfter.get(tableKey(t.schema, t.name));
    if (!now) continue; // reported above
    if (t.estimated || now.estimated) notCompared++;
    else if (now.rows !== t.rows)
      differences.push(`${displayTable(t.schema, t.name)} has ${now.rows} rows, ${t.rows} before`);
  }
  return { differences, notCompared };
}

/**
 * After a failed restore: reads the state again on `client` (a connection that is still open, e.g.
 * while new connections are blocked) and compares it with the one read before. Never throws: a
 * check that cannot be made is `unknown`.
 */
export async function checkState(client: pg.Client, before: LiveState, url?: string): Promise<StateCheck> {
  try {
    const after = await readLiveState(client);
    const { differences, notCompared } = compareLiveState(before, after);
    if (differences.length > 0) return { state: 'changed', differences };
    return { state: 'unchanged', objects: after.objects.length, tables: after.tables.length, notCompared };
  } catch (error) {
    return { state: 'unknown', reason: scrub(error instanceof Error ? error.message : String(error), url) };
  }
}

/** The same on a new connection to `url` (when the database accepts connections). */
export async function checkStateAfterFailure(
  url: string | undefined,
  before: LiveState,
): Promise<StateCheck> {
  let client: pg.Client | undefined;
  try {
    client = await connect({ url, applicationName: 'pgwarden restore (state check)' });
    return await checkState(client, before, url);
  } catch (error) {
    return { state: 'unknown', reason: scrub(error instanceof Error ? error.message : String(error), url) };
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/** The sentence that says what the check found — the only claim to print about the state. */
export function describeStateCheck(check: StateCheck, database: string): string {
  const db = `"${database}"`;
  if (check.state === 'unchanged') {
    const skipped =
      check.notCompared > 0
        ? ` (the rows of ${check.notCompared} table(s) too big to count in time were not compared)`
        : '';
    return `Checked after the failure: ${db} is as it was before the restore — the same ${check.objects} schemas, extensions and relations (same OIDs) and the same row counts in its ${check.tables} tables${skipped}.`;
  }
  if (check.state === 'changed') {
    const shown = check.differences.slice(0, SHOWN_DIFFERENCES).join('; ');
    const more =
      check.differences.length > SHOWN_DIFFERENCES
        ? ` (and ${check.differences.length - SHOWN_DIFFERENCES} more)`
        : '';
    return `Checked after the failure: ${db} is NOT as it was before the restore: ${shown}${more}.`;
  }
  return `The state of ${db} after the failure could not be checked (${check.reason}): do not assume it is as it was.`;
}
