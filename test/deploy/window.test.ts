/** Deploy windows: weekly windows and freezes in a time zone, and the next allowed moment. */
import { describe, expect, it } from 'vitest';
import { checkWindow, formatLocal, fromLocal } from '../../src/deploy/window.js';

const berlin = {
  timezone: 'Europe/Berlin',
  allow: [
    { days: ['mon', 'tue', 'wed', 'thu'] as ('mon' | 'tue' | 'wed' | 'thu')[], from: '09:00', to: '16:00' },
  ],
};

describe('deploy windows', () => {
  it('is open inside a window, in the configured time zone', () => {
    // Tuesday 2026-11-24 10:30 in Berlin is 09:30 UTC
    expect(checkWindow(berlin, new Date('2026-11-24T09:30:00Z')).open).toBe(true);
    // 15:30 UTC is 16:30 in Berlin: closed
    expect(checkWindow(berlin, new Date('2026-11-24T15:30:00Z')).open).toBe(false);
  });

  it('on a Friday evening it is closed and names the next allowed time (Monday 09:00)', () => {
    const check = checkWindow(berlin, new Date('2026-11-27T17:00:00Z'));
    expect(check.open).toBe(false);
    expect(check.reason).toBe('outside the deploy windows (mon,tue,wed,thu 09:00-16:00 Europe/Berlin)');
    expect(formatLocal(check.next!, 'Europe/Berlin')).toBe('2026-11-30 09:00 Europe/Berlin');
    expect(check.next!.toISOString()).toBe('2026-11-30T08:00:00.000Z');
  });

  it('follows daylight saving time (09:00 Berlin is 07:00 UTC in summer)', () => {
    expect(fromLocal(2026, 7, 6, 9, 0, 'Europe/Berlin').toISOString()).toBe('2026-07-06T07:00:00.000Z');
    expect(checkWindow(berlin, new Date('2026-07-06T07:30:00Z')).open).toBe(true);
  });

  it('a freeze closes even the allowed windows, until the day after its last day', () => {
    const config = { ...berlin, freeze: [{ from: '2026-12-21', to: '2027-01-04', reason: 'holidays' }] };
    const check = checkWindow(config, new Date('2026-12-22T10:00:00Z'));
    expect(check.open).toBe(false);
    expect(check.reason).toBe('a deploy freeze is on until 2027-01-05 00:00 Europe/Berlin (holidays)');
    expect(formatLocal(check.next!, 'Europe/Berlin')).toBe('2027-01-05 09:00 Europe/Berlin');
  });

  it('without windows it is always open', () => {
    expect(checkWindow(undefined, new Date()).open).toBe(true);
    expect(checkWindow({ timezone: 'UTC' }, new Date()).open).toBe(true);
  });
});
