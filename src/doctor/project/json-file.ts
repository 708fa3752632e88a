/**
 * Reading the JSON files of a Node project (package.json, package-lock.json) for the project
 * checks: missing, unreadable and invalid files come back as words, never as a throw, so a check
 * can report them as its finding.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckOutcome } from '../types.js';

export type JsonRead =
  | { kind: 'missing' }
  | { kind: 'invalid'; problem: string }
  | { kind: 'ok'; value: Record<string, unknown> };

/** Merge conflict markers at the start of a line: a lock file someone forgot to resolve. */
export function hasConflictMarkers(text: string): boolean {
  return /^(<{7}|>{7}|={7})(\s|$)/m.test(text);
}

/** `name` is how the file is named in the problem (relative to the project). */
export async function readJsonObject(path: string, name: string): Promise<JsonRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', problem: `${name} cannot be read: ${(error as Error).message}` };
  }
  if (hasConflictMarkers(text))
    return { kind: 'invalid', problem: `${name} has unresolved merge conflict markers` };
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { kind: 'invalid', problem: `${name} is not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { kind: 'invalid', problem: `${name} is not a JSON object` };
  return { kind: 'ok', value: value as Record<string, unknown> };
}

/** A string-to-string map such as `dependencies`; the entries of other types are left out. */
export function stringMap(value: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return map;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') map.set(key, v);
  return map;
}

/**
 * The project's package.json, or the outcome a project check gives without one: skip when there
 * is none (not a Node project), fail when npm could not read it either.
 */
export async function projectPackage(
  cwd: string,
): Promise<{ pkg: Record<string, unknown> } | { outcome: CheckOutcome }> {
  const read = await readJsonObject(join(cwd, 'package.json'), 'package.json');
  if (read.kind === 'ok') return { pkg: read.value };
  if (read.kind === 'missing')
    return { outcome: { status: 'skip', summary: 'no package.json: not a Node project', evidence: [] } };
  return {
    outcome: {
      status: 'fail',
      summary: read.problem,
      evidence: [],
      fix: 'Fix package.json (npm cannot read it either).',
    },
  };
}
