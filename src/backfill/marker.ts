/**
 * The `-- pgwarden:backfill [batch=auto|N] [target=200ms] [max-lag=2s|off] [sleep=50ms]
 * [vacuum-margin=10|off]` comment before a migration's UPDATE: the runner runs that statement in
 * batches (backfill.ts). Every other tool sees a comment and runs the UPDATE whole.
 */
import { PgwardenError } from '../errors/pgwarden-error.js';
import { directiveWords as markerWords } from '../sql/directives.js';
import type { ParsedFile, Statement } from '../sql/statement.js';
import { parseDuration } from '../util/duration.js';
import type { BackfillOptions } from './backfill.js';

export const BACKFILL_MARKER = 'pgwarden:backfill';

export type MarkerOptions = Partial<
  Pick<BackfillOptions, 'batch' | 'targetMs' | 'maxLagMs' | 'sleepMs' | 'vacuumMargin'>
>;

/**
 * The options of the marker right before `statement` (after `after`, the end of the statement
 * before it), or undefined when there is none. `where` names a line for errors.
 */
export function backfillMarker(
  parsed: ParsedFile,
  statement: Statement,
  after: number,
  where: (offset: number) => string,
): MarkerOptions | undefined {
  const comment = parsed.comments.find(
    (c) =>
      c.span.start >= after &&
      c.span.end <= statement.span.start &&
      markerWords(c.text)?.[0] === BACKFILL_MARKER,
  );
  if (!comment) return undefined;
  if (statement.kind !== 'UpdateStmt') {
    throw new PgwardenError(
      'MIGRATION_INVALID',
      `${where(comment.span.start)}: -- ${BACKFILL_MARKER} must come right before an UPDATE; the next statement is ${statement.kind}`,
      { hint: 'Put the comment on the line before the UPDATE to run in batches, or remove it.' },
    );
  }
  try {
    return readMarkerOptions(markerWords(comment.text)!.slice(1));
  } catch (error) {
    if (!(error instanceof PgwardenError)) throw error;
    throw new PgwardenError('MIGRATION_INVALID', `${where(comment.span.start)}: ${error.message}`, {
      hint: error.hint ?? MARKER_HINT,
    });
  }
}

/**
 * The top-level UPDATEs of a file that carry a valid marker (for lint, which models the runner;
 * an invalid marker is the runner's to refuse).
 */
export function backfillStatements(parsed: ParsedFile): Set<Statement> {
  const marked = new Set<Statement>();
  if (parsed.comments.length === 0) return marked;
  let after = 0;
  for (const statement of parsed.statements) {
    if (statement.origin !== 'file') continue;
    try {
      if (backfillMarker(parsed, statement, after, String)) marked.add(statement);
    } catch {
      // refused by the runner, with the line
    }
    after = statement.span.end;
  }
  return marked;
}

const MARKER_HINT = `Options: batch=auto|<rows>, target=<duration>, max-lag=<duration>|off, sleep=<duration>, vacuum-margin=<factor>|off.`;

/** `key=value` options, as on the marker and as `pgwarden backfill` flags give them. */
export function readMarkerOptions(words: string[]): MarkerOptions {
  const options: MarkerOptions = {};
  for (const word of words) {
    const at = word.indexOf('=');
    const name = at > 0 ? word.slice(0, at) : word;
    const value = at > 0 ? word.slice(at + 1) : '';
    switch (name) {
      case 'batch':
        options.batch = value === 'auto' ? 'auto' : positiveInteger(value, 'batch');
        break;
      case 'target':
        options.targetMs = positiveDuration(value, 'target');
        break;
      case 'max-lag':
        options.maxLagMs = value === 'off' ? undefined : positiveDuration(value, 'max-lag');
        break;
      case 'sleep':
        options.sleepMs = parseDuration(value, `${BACKFILL_MARKER} sleep`);
        break;
      case 'vacuum-margin': {
        const factor = Number(value);
        if (value !== 'off' && !(factor > 0)) throw usage(`vacuum-margin=${value}: a factor above 0, or off`);
        options.vacuumMargin = value === 'off' ? undefined : factor;
        break;
      }
      default:
        throw usage(`${BACKFILL_MARKER}: unknown option "${word}"`);
    }
  }
  return options;
}

function positiveInteger(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw usage(`${name}=${value}: auto, or rows from 1 to 1000000`);
  return n;
}

function positiveDuration(value: string, name: string): number {
  const ms = parseDuration(value, `${BACKFILL_MARKER} ${name}`);
  if (ms <= 0) throw usage(`${name}=${value}: a duration above 0`);
  return ms;
}

function usage(message: string): PgwardenError {
  return new PgwardenError('USAGE', message, { hint: MARKER_HINT });
}
