/** The package's public entry points, as a user imports them. */
import { describe, expect, it } from 'vitest';

describe('library entry', () => {
  it('exports lint() and friends from the built package', async () => {
    const lib = await import('pgwarden');
    const result = await lib.lintText('CREATE INDEX i ON users (email);');
    expect(result.findings.map((f) => f.rule)).toEqual(['require-concurrent-index-creation']);
    expect(lib.RULES.length).toBeGreaterThanOrEqual(40);
    expect(lib.allShapes().length).toBeGreaterThanOrEqual(60);
    expect(lib.factsFor('create-index', 15).locks[0]).toEqual({ on: 'table', modes: ['ShareLock'] });
    expect(typeof lib.VERSION).toBe('string');
  });

  it('exports the deploy pipeline, the doctor with its checks, drift and backups', async () => {
    const lib = await import('pgwarden');
    for (const name of [
      'deploy',
      'doctor',
      'drift',
      'diffCatalogs',
      'createBackup',
      'restore',
      'verifyBackup',
      'init',
    ])
      expect(typeof (lib as Record<string, unknown>)[name], name).toBe('function');
    expect(lib.DOCTOR_CHECKS.map((c) => c.id)).toEqual([
      'connection',
      'migrations',
      'pending-lint',
      'migrations-git',
      'worktree',
      'pg-dump',
      'backup-dir',
      'backup-age',
      'backup-files',
      'long-transactions',
      'invalid-indexes',
      'test-data',
      'runtime-pins',
      'lockfile',
      'env-example',
      'deploy-window',
    ]);
  });

  it('exports the disposable cluster under pgwarden/testing', async () => {
    const testing = await import('pgwarden/testing');
    expect(typeof testing.startCluster).toBe('function');
  });
});
