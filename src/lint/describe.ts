/** Plain-words descriptions of locks, relations and sizes for finding messages. */
import type { Effect } from '../analysis/effects.js';
import type { SchemaModel, TableFacts } from '../analysis/schema-model.js';
import { modesOn } from '../locks/lock-table.js';
import { describeBlocks, type LockMode, lockModeSql, strongest } from '../locks/modes.js';
import type { Role } from '../locks/shape.js';
import { displayIdent, displayQualified } from '../sql/quote.js';
import type { Statement } from '../sql/statement.js';

/**
 * `users` for public tables, `billing.invoices` otherwise; a name that is not a plain lower-case
 * word is quoted (`"Users"`, `U&"a\000Ab"`, src/sql/quote.ts), whether it came from a migration or
 * the catalog.
 */
export function shortName(key: string, defaultSchema = 'public'): string {
  const dot = key.indexOf('.');
  if (dot <= 0) return displayIdent(key);
  const schema = key.slice(0, dot);
  const name = key.slice(dot + 1);
  return schema === defaultSchema ? displayIdent(name) : displayQualified(schema, name);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** "(~1.2M rows, 340 MB)" from live facts, or "" when unknown. */
export function sizeNote(table: Pick<TableFacts, 'rowEstimate' | 'totalBytes'> | undefined): string {
  if (!table || (table.rowEstimate === undefined && table.totalBytes === undefined)) return '';
  const parts: string[] = [];
  if (table.rowEstimate !== undefined) parts.push(`~${formatCount(table.rowEstimate)} rows`);
  if (table.totalBytes !== undefined) parts.push(formatBytes(table.totalBytes));
  return ` (${parts.join(', ')})`;
}

const ROLE_ORDER: Role[] = [
  'table',
  'parent',
  'partition',
  'partitions',
  'referenced',
  'referencing',
  'index',
  'source',
  'sequence',
];

/**
 * "ACCESS EXCLUSIVE lock on users (~1.2M rows), blocking all reads and writes; SHARE ROW EXCLUSIVE
 * on orgs, blocking writes". Roles without known relations are skipped.
 */
export function describeLocks(effect: Effect, model: SchemaModel): string {
  const parts: string[] = [];
  for (const role of ROLE_ORDER) {
    const modes = modesOn(effect.facts, role);
    const keys = effect.relations[role] ?? [];
    if (modes.length === 0 || keys.length === 0) continue;
    const mode = strongest(modes) as LockMode;
    const names = keys
      .map((k) => `${shortName(k, model.defaultSchema)}${sizeNote(model.tables.get(k))}`)
      .join(', ');
    parts.push(`${lockModeSql(mode)} lock on ${names}, blocking ${describeBlocks(modes)}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'no table lock';
}

/** "users" — the first relation of a role as a short name, or a fallback. */
export function relationName(effect: Effect, role: Role, model: SchemaModel, fallback = 'the table'): string {
  const key = effect.relations[role]?.[0];
  return key ? shortName(key, model.defaultSchema) : fallback;
}

/** "an ACCESS EXCLUSIVE lock on users, …" / "a SHARE lock on …" for a describeLocks() text. */
export function aLock(description: string): string {
  return /^[AEIOU]/.test(description) ? `an ${description}` : `a ${description}`;
}

/** How a finding names another statement: a short quote of its start and its line. */
export function earlierStatement(ctx: { lineOf(offset: number): number }, stmt: Statement): string {
  return `"${snippet(stmt.text)}" (line ${ctx.lineOf(stmt.span.start)})`;
}

/** The first words of a statement on one line, at most `max` characters, cut between words. */
export function snippet(text: string, max = 60): string {
  const flat = text.split(/\s+/).filter(Boolean).join(' ');
  if (flat.length <= max) return flat;
  const cut = flat.lastIndexOf(' ', max);
  return `${flat.slice(0, cut > 0 ? cut : max)} …`;
}
