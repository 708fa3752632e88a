/**
 * Retention decisions (planPrune, a pure function): only verified backups count, the newest
 * verified backup and pinned ones are never deleted, unverified and unfinished files go once a day
 * old, and files that are not pgwarden's are never touched.
 */
import { describe, expect, it } from 'vitest';
import type { Catalog, CatalogBackup, OtherFile } from '../../src/backup/catalog.js';
import type { Manifest } from '../../src/backup/manifest.js';
import { planPrune } from '../../src/backup/prune.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const DAY = 24 * 3600 * 1000;

function backup(
  id: string,
  daysAgo: number,
  options: { verified?: boolean | null; pinned?: boolean; flags?: string[] } = {},
): CatalogBackup {
  const finishedAt = new Date(NOW.getTime() - daysAgo * DAY).toISOString();
  const verified = options.verified === undefined ? true : options.verified;
  const manifest = {
    id,
    archive: `${id}.dump`,
    reason: 'manual',
    pinned: options.pinned ?? false,
    finishedAt,
    globals: null,
    verification:
      verified === null
        ? null
        : { at: finishedAt, ok: verified, method: 'full-read', pgRestoreVersion: '15', problems: [] },
  } as unknown as Manifest;
  return { manifest, path: `/b/${id}.dump`, flags: options.flags ?? [] };
}

function other(name: string, daysAgo: number, partial: boolean): OtherFile {
  return {
    name,
    path: `/b/${name}`,
    modifiedAt: new Date(NOW.getTime() - daysAgo * DAY),
    size: 10,
    identity: undefined,
    partial,
    reason: partial ? 'unfinished backup' : 'SQLite database, not a PostgreSQL dump',
  };
}

/** Backups newest first, as readCatalog returns them. */
function catalog(backups: CatalogBackup[], others: OtherFile[] = []): Catalog {
  return {
    dir: '/b',
    backups: [...backups].sort((a, b) => b.manifest.finishedAt.localeCompare(a.manifest.finishedAt)),
    others,
  };
}

const ids = (list: { id: string }[]) => list.map((d) => d.id).sort();

describe('planPrune', () => {
  it('deletes verified backups older than the retention, never the newest verified one', () => {
    const plan = planPrune(
      catalog([backup('a', 90), backup('b', 60), backup('c', 40)]),
      { retentionDays: 30 },
      NOW,
    );
    expect(ids(plan.delete)).toEqual(['a', 'b']);
    expect(plan.keep.map((k) => [k.id, k.reason])).toEqual([['c', 'newest verified backup (never deleted)']]);
  });

  it('counts only verified backups toward --keep: bad backups never push a good one out', () => {
    const plan = planPrune(
      catalog([
        backup('good-old', 5),
        backup('good-new', 4),
        backup('bad-1', 3, { verified: false }),
        backup('bad-2', 2, { verified: false }),
        backup('unverified', 1.5, { verified: null }),
      ]),
      { keep: 2 },
      NOW,
    );
    expect(ids(plan.keep.filter((k) => k.verified))).toEqual(['good-new', 'good-old']);
    expect(ids(plan.delete)).toEqual(['bad-1', 'bad-2', 'unverified']);
    expect(plan.delete.find((d) => d.id === 'bad-1')?.reason).toBe('failed verification, older than a day');
  });

  it('with --keep 1 keeps only the newest verified backup; pinned backups stay within the retention', () => {
    const plan = planPrune(
      catalog([backup('a', 20, { pinned: true }), backup('b', 50), backup('c', 2), backup('d', 1)]),
      { keep: 1, retentionDays: 30 },
      NOW,
    );
    expect(ids(plan.keep)).toEqual(['a', 'd']);
    expect(ids(plan.delete)).toEqual(['b', 'c']);
    expect(plan.keep.find((k) => k.id === 'a')?.reason).toBe('pinned (manual)');
  });

  it('releases a pin older than the retention period, saying why (a deploy that never finished)', () => {
    const stale = backup('stale', 40, { pinned: true });
    (stale.manifest as { reason: string }).reason = 'pre-deploy';
    const plan = planPrune(
      catalog([stale, backup('old-manual-pin', 35, { pinned: true }), backup('new', 1)]),
      { retentionDays: 30 },
      NOW,
    );
    expect(ids(plan.keep)).toEqual(['new']);
    expect(plan.delete.map((d) => [d.id, d.reason])).toEqual([
      [
        'old-manual-pin',
        'pin expired (manual backup pinned longer than the retention period); older than 30 days',
      ],
      ['stale', 'pin expired (pre-deploy backup of a deploy that never finished); older than 30 days'],
    ]);
    // with a count limit only, the pin still counts as released once past the retention
    const counted = planPrune(catalog([stale, backup('new', 1)]), { retentionDays: 30, keep: 1 }, NOW);
    expect(counted.delete.map((d) => d.reason)).toEqual([
      'pin expired (pre-deploy backup of a deploy that never finished); beyond the 1 newest verified backups',
    ]);
  });

  it('without an age limit, pins hold whatever their age', () => {
    const plan = planPrune(
      catalog([backup('a', 400, { pinned: true }), backup('b', 300), backup('c', 1)]),
      { keep: 1 },
      NOW,
    );
    expect(ids(plan.keep)).toEqual(['a', 'c']);
    expect(plan.keep.find((k) => k.id === 'a')?.reason).toBe('pinned (manual)');
  });

  it('keeps a lone old verified backup even when everything is past retention', () => {
    const plan = planPrune(catalog([backup('only', 400)]), { retentionDays: 1, keep: 1 }, NOW);
    expect(plan.delete).toEqual([]);
    expect(ids(plan.keep)).toEqual(['only']);
  });

  it('a backup whose archive is missing or changed does not count as verified', () => {
    const plan = planPrune(
      catalog([backup('changed', 2, { flags: ['archive missing'] }), backup('older', 10)]),
      { keep: 1 },
      NOW,
    );
    expect(plan.keep.find((k) => k.id === 'older')?.reason).toBe('newest verified backup (never deleted)');
    expect(plan.delete.map((d) => [d.id, d.reason])).toEqual([
      ['changed', 'archive missing, older than a day'],
    ]);
  });

  it('unverified backups and .partial files younger than a day are kept (they may still be running)', () => {
    const plan = planPrune(
      catalog(
        [backup('v', 3), backup('fresh', 0.1, { verified: null })],
        [other('x.dump.partial', 0.2, true), other('y.dump.partial', 3, true)],
      ),
      { retentionDays: 30 },
      NOW,
    );
    expect(ids(plan.keep)).toEqual(['fresh', 'v', 'x.dump.partial']);
    expect(ids(plan.delete)).toEqual(['y.dump.partial']);
  });

  it('never touches files that are not pgwarden backups', () => {
    const plan = planPrune(
      catalog([backup('v', 3)], [other('app.sqlite3', 400, false)]),
      { retentionDays: 1 },
      NOW,
    );
    expect(plan.delete).toEqual([]);
    expect(plan.keep.map((k) => k.id)).toEqual(['v']);
  });

  it('deletes the archive and globals before the manifest', () => {
    const b = backup('a', 90);
    (b.manifest as { globals: unknown }).globals = { file: 'a.globals.sql', size: 1, sha256: 'x' };
    const plan = planPrune(catalog([b, backup('b', 1)]), { retentionDays: 30 }, NOW);
    expect(plan.delete[0]?.paths).toEqual(['/b/a.dump', '/b/a.globals.sql', '/b/a.manifest.json']);
  });
});
