/**
 * `readCatalog`: the user schema of a database as a `CatalogModel` — one pg_catalog query per kind
 * of object, definitions as PostgreSQL prints them. Left out: system and temporary schemas, schema
 * `pgwarden`, objects that belong to an extension (pg_depend deptype 'e'), and the `exclude`d
 * tables (the migration tool's history) with everything on them. It also loads PostgreSQL's
 * scanner, which diffCatalogs uses to re-quote what the server printed (src/sql/quote.ts).
 */
import type pg from 'pg';
import { loadParser } from '../sql/parser.js';
import type {
  CatalogModel,
  ColumnModel,
  ConstraintModel,
  ConstraintType,
  EnumModel,
  ExtensionModel,
  FunctionModel,
  IndexModel,
  PolicyModel,
  SequenceModel,
  TableModel,
  TriggerEnabled,
  TriggerModel,
  ViewModel,
} from './model.js';

export interface ReadCatalogOptions {
  /**
   * Tables to leave out, with their columns, indexes, constraints, triggers, policies and owned
   * sequences: `schema.table`, `table` (in any schema) or `schema.*` (everything in the schema).
   */
  exclude?: readonly string[];
}

/** Schemas that never hold user objects, and pgwarden's own. */
const USER_NAMESPACE = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgwarden') AND n.nspname NOT LIKE 'pg\\_%'`;

/** `alias` (an oid of catalog `catalog`) is not a member of an extension. */
export function notInExtension(catalog: string, alias: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${alias} AND e.deptype = 'e')`;
}

const TABLE_KINDS = `c.relkind IN ('r', 'p') AND c.relpersistence <> 't'`;

export async function readCatalog(
  client: pg.Client,
  options: ReadCatalogOptions = {},
): Promise<CatalogModel> {
  await loadParser();
  return readCatalogModel(client, options);
}

/**
 * The model alone, without loading the scanner: for the schema fingerprint, which deploy reads on
 * every start (the WebAssembly scanner would cost a restart with nothing pending about 30 ms).
 */
export async function readCatalogModel(
  client: pg.Client,
  options: ReadCatalogOptions = {},
): Promise<CatalogModel> {
  const excluded = excludeMatcher(options.exclude ?? []);
  // with only pg_catalog on the path, every other name PostgreSQL prints is schema-qualified
  const saved = (
    await client.query<{ path: string }>(
      `SELECT current_setting('search_path') AS path, set_config('search_path', 'pg_catalog', false)`,
    )
  ).rows[0]!.path;
  try {
    const q = batchedQuery(client);
    // every kind asked for at once: one round trip for the queries, one for those that depend on them
    const [tables, indexes, constraints, sequences, views, functions, triggers, enums, extensions, policies] =
      await Promise.all([
        readTables(q),
        readIndexes(q),
        readConstraints(q),
        readSequences(q),
        readViews(q),
        readFunctions(q),
        readTriggers(q),
        readEnums(q),
        readExtensions(q),
        readPolicies(q),
      ]);
    const model: CatalogModel = {
      tables: tables.filter((t) => !excluded(t.schema, t.name)),
      indexes: indexes.filter((i) => !excluded(i.schema, i.table)),
      constraints: constraints.filter((c) => !excluded(c.schema, c.table)),
      sequences: sequences.filter(
        (s) => !excluded(s.schema, s.name) && !(s.ownedBy && excluded(s.ownedBy.schema, s.ownedBy.table)),
      ),
      views: views.filter((v) => !excluded(v.schema, v.name)),
      functions: functions.filter((f) => !excluded(f.schema, f.name)),
      triggers: triggers.filter((t) => !excluded(t.schema, t.table)),
      enums: enums.filter((e) => !excluded(e.schema, e.name)),
      extensions,
      policies: policies.filter((p) => !excluded(p.schema, p.table)),
    };
    for (const e of model.enums) e.usedBy = e.usedBy.filter((u) => !excluded(u.schema, u.table));
    return sortModel(model);
  } finally {
    await client.query(`SELECT set_config('search_path', $1, false)`, [saved]).catch(() => undefined);
  }
}

/** Whether `schema.name` is excluded by one of the patterns. */
export function excludeMatcher(patterns: readonly string[]): (schema: string, name: string) => boolean {
  const parsed = patterns.map((p) => {
    const dot = p.indexOf('.');
    return dot < 0 ? { schema: undefined, name: p } : { schema: p.slice(0, dot), name: p.slice(dot + 1) };
  });
  return (schema, name) =>
    parsed.some(
      (p) => (p.schema === undefined || p.schema === schema) && (p.name === '*' || p.name === name),
    );
}

type Query = <R extends pg.QueryResultRow>(sql: string) => Promise<R[]>;

/**
 * The catalog queries asked for in the same tick, sent as one multi-statement query: one round
 * trip instead of one per kind of object (a deploy reads the catalog on every start, and a
 * database across a network pays a round trip per query). PostgreSQL runs such a string as one
 * implicit transaction, so the kinds are read from one snapshot. The queries take no parameters.
 */
function batchedQuery(client: pg.Client): Query {
  let pending: Array<{ sql: string; resolve: (rows: any[]) => void; reject: (error: unknown) => void }> = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    try {
      const result: pg.QueryResult | pg.QueryResult[] = await client.query(
        batch.map((b) => b.sql).join(';\n'),
      );
      const results = Array.isArray(result) ? result : [result];
      for (const [i, b] of batch.entries()) b.resolve(results[i]!.rows);
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  };
  return <R extends pg.QueryResultRow>(sql: string) =>
    new Promise<R[]>((resolve, reject) => {
      if (pending.length === 0) queueMicrotask(() => void flush());
      pending.push({ sql, resolve, reject });
    });
}

async function readTables(q: Query): Promise<TableModel[]> {
  const rows = await q<{
    schema: string;
    name: string;
    relkind: string;
    relpersistence: string;
    relrowsecurity: boolean;
    relforcerowsecurity: boolean;
    partition_key: string | null;
    parent_schema: string | null;
    parent_name: string | null;
    bound: string | null;
  }>(`
    SELECT n.nspname AS schema, c.relname AS name, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
           CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
           pn.nspname AS parent_schema, pc.relname AS parent_name,
           CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
      LEFT JOIN pg_class pc ON pc.oid = i.inhparent
      LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
     WHERE ${TABLE_KINDS} AND ${USER_NAMESPACE} AND ${notInExtension('pg_class', 'c.oid')}`);
  const columns = await readColumns(q);
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    partitioned: r.relkind === 'p',
    unlogged: r.relpersistence === 'u',
    ...(r.partition_key ? { partitionKey: r.partition_key } : {}),
    ...(r.parent_name && r.bound
      ? { partitionOf: { schema: r.parent_schema!, name: r.parent_name, bound: r.bound } }
      : {}),
    rowSecurity: r.relrowsecurity,
    forceRowSecurity: r.relforcerowsecurity,
    columns: columns.get(`${r.schema}\0${r.name}`) ?? [],
  }));
}

async function readColumns(q: Query): Promise<Map<string, ColumnModel[]>> {
  const rows = await q<{
    schema: string;
    table: string;
    name: string;
    type: string;
    notnull: boolean;
    expr: string | null;
    identity: string;
    generated: string;
    collation: string | null;
  }>(`
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS expr, a.attidentity AS identity,
           a.attgenerated AS generated,
           CASE WHEN a.attcollation <> t.typcollation THEN
             (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co
                JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped AND ${TABLE_KINDS} AND ${USER_NAMESPACE}
     ORDER BY n.nspname, c.relname, a.attnum`);
  const byTable = new Map<string, ColumnModel[]>();
  for (const r of rows) {
    const column: ColumnModel = { name: r.name, type: r.type, notNull: r.notnull };
    if (r.generated === 's' && r.expr !== null) column.generated = r.expr;
    else if (r.expr !== null) column.default = r.expr;
    if (r.identity === 'a') column.identity = 'always';
    if (r.identity === 'd') column.identity = 'by default';
    if (r.collation) column.collation = r.collation;
    const key = `${r.schema}\0${r.table}`;
    const list = byTable.get(key) ?? [];
    list.push(column);
    byTable.set(key, list);
  }
  return byTable;
}

async function readIndexes(q: Query): Promise<IndexModel[]> {
  const rows = await q<{
    schema: string;
    name: string;
    table: string;
    definition: string;
    valid: boolean;
    unique: boolean;
    relkind: string;
    attached: boolean;
  }>(`
    SELECT n.nspname AS schema, ic.relname AS name, c.relname AS table, pg_get_indexdef(i.indexrelid) AS definition,
           i.indisvalid AS valid, i.indisunique AS unique, c.relkind,
           EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) AS attached
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'm') AND c.relpersistence <> 't' AND ${USER_NAMESPACE}
       AND ${notInExtension('pg_class', 'c.oid')}
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                          AND k.contype IN ('p', 'u', 'x'))`);
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    table: r.table,
    definition: r.definition,
    valid: r.valid,
    unique: r.unique,
    onPartitioned: r.relkind === 'p',
    attached: r.attached,
  }));
}

const CONSTRAINT_TYPES: Record<string, ConstraintType> = {
  p: 'primary key',
  u: 'unique',
  f: 'foreign key',
  c: 'check',
  x: 'exclusion',
};

/** What ruleutils.c (pg_get_constraintdef_worker) appends when convalidated is false. */
const NOT_VALID_SUFFIX = ' NOT VALID';

async function readConstraints(q: Query): Promise<ConstraintModel[]> {
  const rows = await q<{
    schema: string;
    table: string;
    name: string;
    contype: string;
    definition: string;
    validated: boolean;
    local: boolean;
  }>(`
    SELECT n.nspname AS schema, c.relname AS table, k.conname AS name, k.contype,
           pg_get_constraintdef(k.oid) AS definition, k.convalidated AS validated, k.conislocal AS local
      FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND ${TABLE_KINDS} AND ${USER_NAMESPACE}
       AND ${notInExtension('pg_class', 'c.oid')}`);
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    name: r.name,
    type: CONSTRAINT_TYPES[r.contype]!,
    // the suffix is fixed text appended last, so cutting it by position is exact
    definition:
      !r.validated && r.definition.endsWith(NOT_VALID_SUFFIX)
        ? r.definition.slice(0, -NOT_VALID_SUFFIX.length)
        : r.definition,
    validated: r.validated,
    inherited: !r.local,
  }));
}

async function readSequences(q: Query): Promise<SequenceModel[]> {
  const rows = await q<{
    schema: string;
    name: string;
    type: string;
    start: string;
    increment: string;
    min: string;
    max: string;
    cache: string;
    cycle: boolean;
    owner_schema: string | null;
    owner_table: string | null;
    owner_column: string | null;
  }>(`
    SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type,
           s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min,
           s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
           ocn.nspname AS owner_schema, oc.relname AS owner_table, oa.attname AS owner_column
      FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
      LEFT JOIN pg_class oc ON oc.oid = d.refobjid
      LEFT JOIN pg_namespace ocn ON ocn.oid = oc.relnamespace
      LEFT JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid
     WHERE c.relpersistence <> 't' AND ${USER_NAMESPACE} AND ${notInExtension('pg_class', 'c.oid')}
       AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid
                          AND i.deptype = 'i')`);
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    type: r.type,
    start: r.start,
    increment: r.increment,
    min: r.min,
    max: r.max,
    cache: r.cache,
    cycle: r.cycle,
    ...(r.owner_schema && r.owner_table && r.owner_column
      ? { ownedBy: { schema: r.owner_schema, table: r.owner_table, column: r.owner_column } }
      : {}),
  }));
}

async function readViews(q: Query): Promise<ViewModel[]> {
  const rows = await q<{
    schema: string;
    name: string;
    relkind: string;
    definition: string;
    options: string[] | null;
    depends_on: string[];
  }>(`
    SELECT n.nspname AS schema, c.relname AS name, c.relkind, pg_get_viewdef(c.oid) AS definition,
           c.reloptions AS options,
           ARRAY(SELECT DISTINCT format('%s.%s', dn.nspname, dc.relname)
                   FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                   JOIN pg_class dc ON dc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
                   JOIN pg_namespace dn ON dn.oid = dc.relnamespace
                  WHERE r.ev_class = c.oid AND dc.oid <> c.oid AND dc.relkind IN ('r', 'p', 'v', 'm')) AS depends_on
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm') AND c.relpersistence <> 't' AND ${USER_NAMESPACE}
       AND ${notInExtension('pg_class', 'c.oid')}`);
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    materialized: r.relkind === 'm',
    definition: r.definition,
    options: [...(r.options ?? [])].sort(compareText),
    dependsOn: [...r.depends_on].sort(compareText),
  }));
}

async function readFunctions(q: Query): Promise<FunctionModel[]> {
  // prokind is PostgreSQL 11+; aggregates (no pg_get_functiondef) are left out
  const rows = await q<{
    schema: string;
    name: string;
    args: string;
    kind: string;
    result: string | null;
    definition: string;
  }>(`
    SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args,
           p.prokind AS kind, pg_get_function_result(p.oid) AS result, pg_get_functiondef(p.oid) AS definition
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE p.prokind IN ('f', 'p', 'w') AND ${USER_NAMESPACE} AND ${notInExtension('pg_proc', 'p.oid')}`);
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    args: r.args,
    kind: r.kind === 'p' ? 'procedure' : 'function',
    ...(r.kind !== 'p' && r.result !== null ? { result: r.result } : {}),
    definition: r.definition.trimEnd(),
  }));
}

const TRIGGER_ENABLED: Record<string, TriggerEnabled> = {
  O: 'origin',
  D: 'disabled',
  R: 'replica',
  A: 'always',
};

async function readTriggers(q: Query): Promise<TriggerModel[]> {
  // tgparentid (PostgreSQL 13+) marks triggers cloned onto partitions; before 13 they were internal
  const rows = await q<{
    schema: string;
    table: string;
    name: string;
    definition: string;
    enabled: string;
    inherited: boolean;
  }>(`
    SELECT n.nspname AS schema, c.relname AS table, t.tgname AS name, pg_get_triggerdef(t.oid) AS definition,
           t.tgenabled AS enabled, coalesce((to_jsonb(t) ->> 'tgparentid')::oid, 0) <> 0 AS inherited
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.tgisinternal AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relpersistence <> 't'
       AND ${USER_NAMESPACE} AND ${notInExtension('pg_class', 'c.oid')}`);
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    name: r.name,
    definition: r.definition,
    enabled: TRIGGER_ENABLED[r.enabled] ?? 'origin',
    inherited: r.inherited,
  }));
}

async function readEnums(q: Query): Promise<EnumModel[]> {
  const rows = await q<{ schema: string; name: string; values: string[] }>(`
    SELECT n.nspname AS schema, t.typname AS name,
           ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS values
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE t.typtype = 'e' AND ${USER_NAMESPACE} AND ${notInExtension('pg_type', 't.oid')}`);
  const uses = await q<{
    type_schema: string;
    type_name: string;
    schema: string;
    table: string;
    column: string;
    array: boolean;
  }>(`
    SELECT tn.nspname AS type_schema, t.typname AS type_name, n.nspname AS schema, c.relname AS table,
           a.attname AS column, a.atttypid = t.typarray AS array
      FROM pg_attribute a JOIN pg_type t ON a.atttypid IN (t.oid, t.typarray)
      JOIN pg_namespace tn ON tn.oid = t.typnamespace
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE t.typtype = 'e' AND a.attnum > 0 AND NOT a.attisdropped AND ${TABLE_KINDS} AND ${USER_NAMESPACE}
     ORDER BY n.nspname, c.relname, a.attnum`);
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    values: r.values,
    usedBy: uses
      .filter((u) => u.type_schema === r.schema && u.type_name === r.name)
      .map((u) => ({ schema: u.schema, table: u.table, column: u.column, array: u.array })),
  }));
}

async function readExtensions(q: Query): Promise<ExtensionModel[]> {
  return q<ExtensionModel>(`
    SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`);
}

const POLICY_COMMANDS: Record<string, PolicyModel['command']> = {
  '*': 'ALL',
  r: 'SELECT',
  a: 'INSERT',
  w: 'UPDATE',
  d: 'DELETE',
};

async function readPolicies(q: Query): Promise<PolicyModel[]> {
  const rows = await q<{
    schema: string;
    table: string;
    name: string;
    cmd: string;
    permissive: boolean;
    roles: string[];
    using: string | null;
    with_check: string | null;
  }>(`
    SELECT n.nspname AS schema, c.relname AS table, p.polname AS name, p.polcmd AS cmd,
           p.polpermissive AS permissive,
           ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
                   FROM unnest(p.polroles) r) AS roles,
           pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE ${USER_NAMESPACE} AND ${notInExtension('pg_class', 'c.oid')}`);
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    name: r.name,
    command: POLICY_COMMANDS[r.cmd] ?? 'ALL',
    permissive: r.permissive,
    roles: [...r.roles].sort(compareText),
    ...(r.using !== null ? { using: r.using } : {}),
    ...(r.with_check !== null ? { withCheck: r.with_check } : {}),
  }));
}

/** Code-unit order: the same in every locale and on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareText(key(a), key(b));
}

function sortModel(model: CatalogModel): CatalogModel {
  const named = (x: { schema: string; name: string }) => `${x.schema}\0${x.name}`;
  const onTable = (x: { schema: string; table: string; name: string }) =>
    `${x.schema}\0${x.table}\0${x.name}`;
  model.tables.sort(byKey(named));
  model.indexes.sort(byKey(named));
  model.constraints.sort(byKey(onTable));
  model.sequences.sort(byKey(named));
  model.views.sort(byKey(named));
  model.functions.sort(byKey((f) => `${f.schema}\0${f.name}\0${f.args}`));
  model.triggers.sort(byKey(onTable));
  model.enums.sort(byKey(named));
  model.extensions.sort(byKey((e) => e.name));
  model.policies.sort(byKey(onTable));
  return model;
}
