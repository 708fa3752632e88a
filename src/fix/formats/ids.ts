/**
 * Versions for new migrations in the project's own numbering style: the style is read from the
 * newest existing version (the one with the greatest number), or is the tool's default in an
 * empty folder.
 *
 * - `utc-seconds`: `YYYYMMDDHHMMSS` in UTC, what `dbmate new`, `prisma migrate dev`,
 *   `supabase migration new` and `migrate create` (golang-migrate's default format, time zone UTC)
 *   write;
 * - `utc-millis`: `YYYYMMDDHHMMSSmmm`, node-pg-migrate's `--migration-filename-format utc`
 *   (`new Date().toISOString().replace(/\D/g, '')`);
 * - `epoch-millis`: milliseconds since 1970, node-pg-migrate's default (`Date.now()`);
 * - `epoch-seconds`: seconds since 1970, golang-migrate's `-format unix`;
 * - `sequence`: a counter padded with zeros to the width of the newest version (`001`, `000003`),
 *   plain files, golang-migrate's `-seq`, node-pg-migrate's `index` format.
 *
 * Timestamps start at `now` (cut to the style's resolution), or just after the newest existing
 * timestamp when that is later; each following migration is one second later. Sequences continue
 * at the greatest number plus one.
 */
export type IdStyle =
  | { kind: 'utc-seconds' }
  | { kind: 'utc-millis' }
  | { kind: 'epoch-millis' }
  | { kind: 'epoch-seconds' }
  | { kind: 'sequence'; width: number };

export type TimeStyleKind = Exclude<IdStyle['kind'], 'sequence'>;

const STEP_MS = 1000;
const RESOLUTION_MS: Record<TimeStyleKind, number> = {
  'utc-seconds': 1000,
  'utc-millis': 1,
  'epoch-millis': 1,
  'epoch-seconds': 1000,
};

/** The leading digits of a migration's path (its first segment: a file or Prisma's directory). */
export function leadingDigits(path: string): string | undefined {
  return /^\d+/.exec(path.split('/')[0] ?? '')?.[0];
}

/** `YYYYMMDDHHMMSS` or `YYYYMMDDHHMMSSmmm` as a UTC instant, when the digits are a real date. */
function utcDigitsTime(digits: string): number | undefined {
  if (digits.length !== 14 && digits.length !== 17) return undefined;
  const iso = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T${digits.slice(8, 10)}:${digits.slice(10, 12)}:${digits.slice(12, 14)}.${digits.length === 17 ? digits.slice(14) : '000'}Z`;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return undefined;
  return formatUtcDigits(time, digits.length === 17) === digits ? time : undefined;
}

function formatUtcDigits(time: number, millis: boolean): string {
  return new Date(time)
    .toISOString()
    .replace(/\D/g, '')
    .slice(0, millis ? 17 : 14);
}

/** Epoch times from 2001-09-09 (10 digits of seconds, 13 of milliseconds) to 2286. */
function epochTime(digits: string): number | undefined {
  if (digits.length === 13 && digits[0] !== '0') return Number(digits);
  if (digits.length === 10 && digits[0] !== '0') return Number(digits) * 1000;
  return undefined;
}

/** The instant a version stands for, in any of the timestamp styles, or undefined. */
export function versionTime(digits: string): number | undefined {
  return utcDigitsTime(digits) ?? epochTime(digits);
}

function styleOf(digits: string, allowed: readonly TimeStyleKind[]): IdStyle {
  const candidates: [TimeStyleKind, boolean][] = [
    ['utc-seconds', digits.length === 14 && utcDigitsTime(digits) !== undefined],
    ['utc-millis', digits.length === 17 && utcDigitsTime(digits) !== undefined],
    ['epoch-millis', digits.length === 13 && epochTime(digits) !== undefined],
    ['epoch-seconds', digits.length === 10 && epochTime(digits) !== undefined],
  ];
  for (const [kind, matches] of candidates) if (matches && allowed.includes(kind)) return { kind };
  return { kind: 'sequence', width: digits.length };
}

/** The digits with the greatest number (the newest version of a numbered folder). */
export function greatest(versions: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const digits of versions) if (best === undefined || BigInt(digits) > BigInt(best)) best = digits;
  return best;
}

/**
 * The style of a folder whose versions are `existing` (digit strings): the style of the newest one,
 * among `allowed` timestamp styles (anything else continues as a sequence), or `fallback` when the
 * folder has no migration yet.
 */
export function detectStyle(
  existing: readonly string[],
  allowed: readonly TimeStyleKind[],
  fallback: IdStyle,
): IdStyle {
  const newest = greatest(existing);
  return newest === undefined ? fallback : styleOf(newest, allowed);
}

function formatTime(kind: TimeStyleKind, time: number): string {
  switch (kind) {
    case 'utc-seconds':
      return formatUtcDigits(time, false);
    case 'utc-millis':
      return formatUtcDigits(time, true);
    case 'epoch-millis':
      return String(time);
    case 'epoch-seconds':
      return String(Math.floor(time / 1000));
  }
}

/** `count` versions after every one of `existing`, in `style`. */
export function nextVersions(
  existing: readonly string[],
  count: number,
  now: Date,
  style: IdStyle,
): string[] {
  if (style.kind === 'sequence') {
    const start = BigInt(greatest(existing) ?? '0') + 1n;
    return Array.from({ length: count }, (_, i) => (start + BigInt(i)).toString().padStart(style.width, '0'));
  }
  const resolution = RESOLUTION_MS[style.kind];
  let start = Math.floor(now.getTime() / resolution) * resolution;
  for (const digits of existing) {
    const time = versionTime(digits);
    if (time !== undefined) start = Math.max(start, Math.floor(time / resolution) * resolution + resolution);
  }
  return Array.from({ length: count }, (_, i) =>
    formatTime(style.kind as TimeStyleKind, start + i * STEP_MS),
  );
}
