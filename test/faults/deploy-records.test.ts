/**
 * Deploy's records tell the truth after a failure: a deploy that fails on its second migration
 * records the first one and the schema's fingerprint after it (so the fixed redeploy is not
 * refused as drift); the health check gates a restart with nothing pending; a pre-deploy backup
 * pinned by a failed deploy is released by the next good deploy; the pre-deploy backup is taken
 * with the configured backup settings.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DeployProject, deployIn, deployProject } from '../support/deploy-project.js';
import { sql, useSharedServer } from './support.js';

const own = useSharedServer();

const project = deployProject;
const deploy = (p: DeployProject, url: string) => deployIn(p, url);

const manifestsOf = (dir: string) =>
  readdirSync(join(dir, 'backups'))
    .filter((f) => f.endsWith('.manifest.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, 'backups', f), 'utf8')));

describe('deploy records under failures', () => {
  it('fails on its second migration: the first is recorded with the fingerprint after it; the fixed redeploy is not drift', async () => {
    const db = await own.createDatabase();
    const p = project({ '000_base.sql': 'CREATE TABLE base (id int);\n' });
    expect((await deploy(p, db.url)).code).toBe(0);
    writeFileSync(join(p.dir, 'migrations', '001_users.sql'), 'CREATE TABLE users (id int);\n');
    writeFileSync(
      join(p.dir, 'migrations', '002_broken.sql'),
      'ALTER TABLE users ADD COLUMN x int;\nSELECT 1/0;\n',
    );
    const failed = await deploy(p, db.url);
    expect(failed.code).toBe(1);
    const [rec] = await sql(
      db.url,
      `SELECT result, migrations, schema_fingerprint IS NOT NULL AS fingerprinted FROM pgwarden.deploys ORDER BY deploy_id DESC LIMIT 1`,
    );
    expect(rec).toEqual({ result: 'failed', migrations: ['001_users'], fingerprinted: true });

    writeFileSync(join(p.dir, 'migrations', '002_broken.sql'), 'ALTER TABLE users ADD COLUMN x int;\n');
    const fixed = await deploy(p, db.url);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).toContain('✓ preflight');
    expect(existsSync(p.marker)).toBe(true);
  });

  it('a restart with nothing pending runs the health check: failing, the app is not started, exit 1, recorded', async () => {
    const db = await own.createDatabase();
    const p = project({ '001_users.sql': 'CREATE TABLE users (id int);\n' });
    expect((await deploy(p, db.url)).code).toBe(0);
    writeFileSync(
      join(p.dir, 'pgwarden.config.json'),
      JSON.stringify({ deploy: { healthCheck: { command: ['false'], within: 1000 } } }),
    );
    rmSync(p.marker);
    const restart = await deploy(p, db.url);
    expect(restart.code).toBe(1);
    expect(restart.stderr).toContain('nothing pending');
    expect(restart.stderr).toContain('✗ health');
    expect(existsSync(p.marker)).toBe(false);
    expect(await sql(db.url, `SELECT result FROM pgwarden.deploys ORDER BY deploy_id DESC LIMIT 1`)).toEqual([
      { result: 'failed' },
    ]);
  });

  it('a pre-deploy backup pinned by a failed deploy is released by the next good deploy', async () => {
    const db = await own.createDatabase();
    const p = project({ '001_broken.sql': 'CREATE TABLE users (id int);\nSELECT 1/0;\n' });
    expect((await deploy(p, db.url)).code).toBe(1);
    expect(manifestsOf(p.dir).map((m) => m.pinned)).toEqual([true]);
    writeFileSync(join(p.dir, 'migrations', '001_broken.sql'), 'CREATE TABLE users (id int);\n');
    expect((await deploy(p, db.url)).code).toBe(0);
    expect(manifestsOf(p.dir).map((m) => m.pinned)).toEqual([false, false]);
  });

  it('the pre-deploy backup honours the backup settings of the configuration', async () => {
    const db = await own.createDatabase();
    const p = project(
      { '001_users.sql': 'CREATE TABLE users (id int);\n' },
      { backup: { format: 'directory', jobs: 2, compression: '0' } },
    );
    const result = await deploy(p, db.url);
    expect(result.code, result.stderr).toBe(0);
    const [m] = manifestsOf(p.dir);
    expect(m).toMatchObject({ reason: 'pre-deploy', format: 'directory', compression: '0' });
    expect(existsSync(join(p.dir, 'backups', `${m.id}.dir`))).toBe(true);
  });
});
