/**
 * What `trace` looks at around each statement, on the tracing connection itself: the user
 * relations and their storage (relfilenode), the table locks this backend holds, and the scan
 * counters of the current transaction. Comparing two observations gives the locks a statement
 * took, the relations it rewrote, created or dropped, and the tables it read in full.
 *
 * Checked on PostgreSQL 15: `pg_stat_xact_user_tables` shows the current transaction's own
 * counters before commit (a CREATE INDEX moves seq_scan by 1 and seq_tup_read by the row count),
 * and `pg_stat_user_tables` shows a committed statement's counters once the backend flushed them
 * (`pg_stat_force_next_flush()`, PostgreSQL 15+, read with `stats_fetch_consistency = none`).
 */
import type pg from 'pg';
import { LOCK_MODES, type LockMode } from '../locks/modes.js';
import { displayQualified } from '../sql/quote.js';

/** OIDs below this are assigned at initdb: catalogs and system views (PostgreSQL's FirstNormalObjectId). */
const FIRST_NORMAL_OID = 16384;

export interface RelationInfo {
  oid: number;
  /** `schema.name` for people: a part that is not a plain lower-case word is quoted (src/sql/quote.ts). */
  name: string;
  /** pg_class.relkind: r table, p partitioned, i index, I partitioned index, S sequence, m, v, f … */
  relkind: string;
  /** pg_relation_filenode(); null for relations without storage (views, partitioned tables). */
  filenode: string | null;
}

export interface ScanCounters {
  seqScan: number;
  seqTupRead: number;
  idxScan: number;
}

export interface Observation {
  relations: Map<number, RelationInfo>;
  /** `oid:mode` of every granted relation lock this backend holds on a user relation. */
  locks: Set<string>;
  /** Scan counters by table oid (undefined when they were not read). */
  scans: Map<number, ScanCounters> | undefined;
}

/** Which statistics view to read scan counters from (or none). */
export type ScanSource = 'transaction' | 'committed' | 'none';

/** The relations of user schemas (catalogs, information_schema, TOAST and temporary schemas excluded). */
export async function snapshotRelations(client: pg.Client): Promise<Map<number, RelationInfo>> {
  const { rows } = await client.query<{
    oid: string;
    schema: string;
    name: string;
    relkind: string;
    filenode: string | null;
  }>(
    `SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
            pg_relation_filenode(c.oid)::text AS filenode
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`,
  );
  return new Map(
    rows.map((r) => [
      Number(r.oid),
      {
        oid: Number(r.oid),
        name: displayQualified(r.schema, r.name),
        relkind: r.relkind,
        filenode: r.filenode,
      },
    ]),
  );
}

/**
 * The granted relation locks of this backend, as `oid:mode`. Catalog relations and the system
 * views the observation itself reads (pg_locks, pg_class, pg_stat_…) have OIDs below 16384 and
 * are left out; callers further keep only relations they saw in a snapshot.
 */
export async function heldLocks(client: pg.Client): Promise<Set<string>> {
  const { rows } = await client.query<{ oid: string; mode: string }>(
    `SELECT relation::int8::text AS oid, mode FROM pg_locks
      WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
        AND relation IS NOT NULL AND relation::int8 >= $1`,
    [FIRST_NORMAL_OID],
  );
  return new Set(rows.map((r) => `${r.oid}:${r.mode}`));
}

/**
 * Scan counters of user tables: `transaction` reads pg_stat_xact_user_tables (this transaction's
 * counters, visible before commit); `committed` reads pg_stat_user_tables after forcing this
 * backend to flush its pending counters (PostgreSQL 15+, outside a transaction block only).
 */
export async function scanCounters(
  client: pg.Client,
  source: Exclude<ScanSource, 'none'>,
): Promise<Map<number, ScanCounters>> {
  if (source === 'committed') {
    // the flush happens when the backend next goes idle, i.e. right after this query
    await client.query('SELECT pg_stat_force_next_flush()');
  }
  const view = source === 'transaction' ? 'pg_stat_xact_user_tables' : 'pg_stat_user_tables';
  const { rows } = await client.query<{ oid: string; seq: string; tup: string; idx: string }>(
    `SELECT relid::int8::text AS oid, coalesce(seq_scan, 0)::text AS seq, coalesce(seq_tup_read, 0)::text AS tup,
            coalesce(idx_scan, 0)::text AS idx
       FROM ${view}`,
  );
  return new Map(
    rows.map((r) => [
      Number(r.oid),
      { seqScan: Number(r.seq), seqTupRead: Number(r.tup), idxScan: Number(r.idx) },
    ]),
  );
}

/** Prepares a session for `committed` scan counters (reads shared memory directly, no cached snapshot). */
export async function prepareCommittedScans(client: pg.Client): Promise<void> {
  await client.query(`SELECT set_config('stats_fetch_consistency', 'none', false)`);
}

export async function observe(client: pg.Client, scans: ScanSource): Promise<Observation> {
  const relations = await snapshotRelations(client);
  const locks = await heldLocks(client);
  return { relations, locks, scans: scans === 'none' ? undefined : await scanCounters(client, scans) };
}

export interface ObservedLock {
  relation: string;
  modes: LockMode[];
  /** The relation was created by the statement (no other session can wait for it). */
  created?: true;
}

export interface ObservedScan {
  relation: string;
  seqScans: number;
  tuplesRead: number;
}

export interface StatementDiff {
  /** Locks held after the statement that were not held before it. */
  locks: ObservedLock[];
  /** Pre-existing relations whose storage changed (a new relfilenode, or rebuilt under the same name). */
  rewrites: string[];
  created: string[];
  dropped: string[];
  scans: ObservedScan[];
}

/** What changed between the observation before a statement and the one after it. */
export function compare(before: Observation, after: Observation): StatementDiff {
  const nameOf = (oid: number) => after.relations.get(oid)?.name ?? before.relations.get(oid)?.name;

  const byRelation = new Map<number, Set<LockMode>>();
  for (const key of after.locks) {
    if (before.locks.has(key)) continue;
    const [oid, mode] = key.split(':') as [string, LockMode];
    const set = byRelation.get(Number(oid)) ?? new Set<LockMode>();
    set.add(mode);
    byRelation.set(Number(oid), set);
  }

  // An index dropped and rebuilt by the statement (ALTER COLUMN … TYPE) keeps its name but gets a
  // new oid: that is a rewrite of the index, not a drop and a create.
  const beforeByName = new Map([...before.relations.values()].map((r) => [r.name, r]));
  const afterByName = new Map([...after.relations.values()].map((r) => [r.name, r]));
  const rewrites: string[] = [];
  const dropped: string[] = [];
  const created: string[] = [];
  for (const rel of before.relations.values()) {
    const now = after.relations.get(rel.oid);
    if (now) {
      if (rel.filenode !== null && now.filenode !== null && now.filenode !== rel.filenode)
        rewrites.push(now.name);
      continue;
    }
    const rebuilt = afterByName.get(rel.name);
    if (rebuilt && !before.relations.has(rebuilt.oid) && rebuilt.relkind === rel.relkind)
      rewrites.push(rel.name);
    else dropped.push(rel.name);
  }
  for (const rel of after.relations.values()) {
    if (before.relations.has(rel.oid)) continue;
    const old = beforeByName.get(rel.name);
    if (old && !after.relations.has(old.oid) && old.relkind === rel.relkind) continue; // rebuilt, counted above
    created.push(rel.name);
  }

  const locks: ObservedLock[] = [];
  for (const [oid, modes] of byRelation) {
    const relation = nameOf(oid);
    if (!relation) continue; // not a user relation
    const sorted = LOCK_MODES.filter((m) => modes.has(m));
    locks.push(
      before.relations.has(oid) ? { relation, modes: sorted } : { relation, modes: sorted, created: true },
    );
  }
  locks.sort(
    (a, b) => Number(a.created ?? false) - Number(b.created ?? false) || a.relation.localeCompare(b.relation),
  );

  const scans: ObservedScan[] = [];
  if (before.scans && after.scans) {
    for (const [oid, now] of after.scans) {
      const then = before.scans.get(oid) ?? { seqScan: 0, seqTupRead: 0, idxScan: 0 };
      if (now.seqScan <= then.seqScan) continue;
      const relation = nameOf(oid);
      if (!relation) continue;
      scans.push({
        relation,
        seqScans: now.seqScan - then.seqScan,
        tuplesRead: now.seqTupRead - then.seqTupRead,
      });
    }
    scans.sort((a, b) => a.relation.localeCompare(b.relation));
  }

  return {
    locks,
    rewrites: rewrites.sort(),
    created: created.sort(),
    dropped: dropped.sort(),
    scans,
  };
}
