/** Durations on the command line and in the environment: "500", "500ms", "5s", "2m", "1h". */
import { PgwardenError } from '../errors/pgwarden-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "500", "500ms", "5s", "2m", "1h" → milliseconds. */
export function parseDuration(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!match) throw new PgwardenError('USAGE', `${what}: "${text}" is not a duration (e.g. 500ms, 5s, 2m)`);
  const value = Number(match[1]) * UNITS[match[2] ?? 'ms']!;
  if (value > 24 * 3_600_000) throw new PgwardenError('USAGE', `${what}: "${text}" is longer than a day`);
  return Math.round(value);
}
