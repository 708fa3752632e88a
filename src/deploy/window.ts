/**
 * Deploy windows: when deploys may run, in a time zone (allowed weekly windows, freeze periods).
 * `checkWindow` says whether now is inside, and when the next allowed moment is.
 */
import type { Config } from '../config/schema.js';

export type WindowsConfig = NonNullable<NonNullable<Config['deploy']>['windows']>;

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface WindowCheck {
  open: boolean;
  /** why it is closed: outside the allowed windows, or the freeze and its reason */
  reason: string | undefined;
  /** the next allowed moment (undefined when open, or none within 366 days) */
  next: Date | undefined;
  timezone: string;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: (typeof DAYS)[number];
}

function localParts(at: Date, timezone: string): LocalTime {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    weekday: get('weekday').toLowerCase().slice(0, 3) as LocalTime['weekday'],
  };
}

/** The instant of a local wall-clock time in the zone (the first, when a DST change repeats it). */
export function fromLocal(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timezone: string,
): Date {
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const p = localParts(new Date(guess), timezone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    if (shown === wanted) break;
    guess += wanted - shown;
  }
  return new Date(guess);
}

function parseLocal(text: string, timezone: string, endOfDay: boolean): Date {
  const [date, time] = text.split('T');
  const [y, m, d] = date!.split('-').map(Number);
  if (time) {
    const [h, min] = time.split(':').map(Number);
    return fromLocal(y!, m!, d!, h!, min!, timezone);
  }
  // a bare date: the whole day (a "to" date includes that day)
  return endOfDay ? fromLocal(y!, m!, d! + 1, 0, 0, timezone) : fromLocal(y!, m!, d!, 0, 0, timezone);
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

function freezeAt(config: WindowsConfig, at: Date, timezone: string) {
  for (const f of config.freeze ?? []) {
    const from = parseLocal(f.from, timezone, false);
    const to = parseLocal(f.to, timezone, true);
    if (at >= from && at < to) return { from, to, reason: f.reason };
  }
  return undefined;
}

function inAllowed(config: WindowsConfig, at: Date, timezone: string): boolean {
  if (!config.allow || config.allow.length === 0) return true;
  const local = localParts(at, timezone);
  const now = local.hour * 60 + local.minute;
  return config.allow.some(
    (w) => w.days.includes(local.weekday) && now >= minutes(w.from) && now < minutes(w.to),
  );
}

export function isOpen(config: WindowsConfig | undefined, at: Date): boolean {
  if (!config) return true;
  const timezone = config.timezone ?? 'UTC';
  return !freezeAt(config, at, timezone) && inAllowed(config, at, timezone);
}

export function checkWindow(config: WindowsConfig | undefined, now: Date = new Date()): WindowCheck {
  const timezone = config?.timezone ?? 'UTC';
  if (!config || isOpen(config, now)) return { open: true, reason: undefined, next: undefined, timezone };
  const freeze = freezeAt(config, now, timezone);
  const reason = freeze
    ? `a deploy freeze is on until ${formatLocal(freeze.to, timezone)}${freeze.reason ? ` (${freeze.reason})` : ''}`
    : `outside the deploy windows (${config.allow!.map((w) => `${w.days.join(',')} ${w.from}-${w.to}`).join('; ')} ${timezone})`;
  return { open: false, reason, next: nextOpen(config, now, timezone), timezone };
}

/** The earliest allowed moment after `now`: a window start or a freeze end, whichever is open first. */
function nextOpen(config: WindowsConfig, now: Date, timezone: string): Date | undefined {
  const candidates: Date[] = [];
  for (const f of config.freeze ?? []) candidates.push(parseLocal(f.to, timezone, true));
  const local = localParts(now, timezone);
  for (let offset = 0; offset <= 366; offset++) {
    for (const w of config.allow ?? [{ days: [...DAYS], from: '00:00', to: '24:00' }]) {
      const start = minutes(w.from);
      candidates.push(
        fromLocal(local.year, local.month, local.day + offset, Math.floor(start / 60), start % 60, timezone),
      );
    }
  }
  return candidates
    .filter((c) => c > now)
    .sort((a, b) => a.getTime() - b.getTime())
    .find((c) => isOpen(config, c));
}

/** "2026-11-23 09:00 Europe/Berlin" */
export function formatLocal(at: Date, timezone: string): string {
  const p = localParts(at, timezone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)} ${timezone}`;
}
