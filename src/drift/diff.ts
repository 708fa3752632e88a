/**
 * `diffCatalogs(expected, live)`: every difference between the schema the migrations build and the
 * live one, each with the SQL that makes live match the migrations. The differences come in an
 * order in which their SQL can be run one after the other: drops of what hangs on other objects
 * first, then creations from types and tables up to indexes, triggers and policies. Objects that
 * follow a parent (partitions' columns, inherited constraints, cloned triggers, attached indexes)
 * are left to the parent; the children of an extra table go with its DROP TABLE. Every text of a
 * difference goes through sanitizeSql last: no name or string the server printed keeps a raw
 * control character (readCatalog has loaded the scanner it needs).
 */

import { sanitizeSql, sanitizeText } from '../sql/quote.js';
import { diffConstraints, diffIndexes } from './diff/constraints-and-indexes.js';
import { DiffContext, type Difference } from './diff/context.js';
import { diffTables } from './diff/tables.js';
import { diffEnums, diffExtensions, diffSequences } from './diff/types-and-sequences.js';
import {
  diffFunctions,
  diffPolicies,
  diffTriggers,
  diffViews,
} from './diff/views-functions-triggers-policies.js';
import type { CatalogModel } from './model.js';

export type { Difference, DifferenceKind } from './diff/context.js';

export function diffCatalogs(expected: CatalogModel, live: CatalogModel): Difference[] {
  const out: Array<{ phase: number; difference: Difference }> = [];
  const add = (phase: number, difference: Difference) => out.push({ phase, difference });
  const context = new DiffContext(expected, live);

  diffExtensions(context, add);
  diffEnums(context, add);
  diffSequences(context, add);
  diffTables(context, add);
  diffConstraints(context, add);
  diffIndexes(context, add);
  diffViews(context, add);
  diffFunctions(context, add);
  diffTriggers(context, add);
  diffPolicies(context, add);

  // a stable sort: within a phase, the order of the (sorted) models
  return out
    .map((entry, i) => ({ ...entry, i }))
    .sort((a, b) => a.phase - b.phase || a.i - b.i)
    .map((entry) => safeDifference(entry.difference));
}

/**
 * The difference with its SQL written again by sanitizeSql and its texts by sanitizeText
 * (nothing changes when nothing is unsafe).
 */
function safeDifference(d: Difference): Difference {
  const safe: Difference = {
    ...d,
    object: sanitizeText(d.object),
    detail: sanitizeText(d.detail),
    sql: sanitizeSql(d.sql),
  };
  if (d.expected !== undefined) safe.expected = sanitizeText(d.expected);
  if (d.live !== undefined) safe.live = sanitizeText(d.live);
  return safe;
}
