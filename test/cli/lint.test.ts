/** `pgwarden lint` end to end: the built binary, its output formats and its exit codes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { tempDir } from '../support/files.js';

const NO_DB = { DATABASE_URL: undefined };
const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

const project = tempDir({
  'migrations/001_users.sql':
    'CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n',
  'migrations/002_token.sql':
    'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\nCREATE INDEX users_token_idx ON users (token);\n',
  'clean.sql': 'CREATE INDEX CONCURRENTLY users_token_idx ON users (token);\n',
  'empty.sql': '',
  'broken.sql': 'ALTER TABEL users ADD COLUMN x int;\n',
  'latin1.sql': Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xe9, 0x27, 0x3b, 0x0a]),
});

describe('pgwarden (binary)', () => {
  it('prints help with the lint command, and the version', async () => {
    const help = await pgwarden(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('lint [options] [paths...]');
    const v = await pgwarden(['--version']);
    expect(v).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('rejects an unknown option with exit 2', async () => {
    const result = await pgwarden(['lint', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });
});

describe('pgwarden lint', () => {
  it('reports findings with the statement, a marker, help and fix, and exits 1', async () => {
    const result = await pgwarden(['lint', 'migrations'], { cwd: project, env: NO_DB });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('error[adding-field-with-default]');
    expect(result.stdout).toContain('--> migrations/002_token.sql:1:30');
    expect(result.stdout).toContain('1 | ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();');
    expect(result.stdout).toContain('= fix: CREATE INDEX CONCURRENTLY users_token_idx ON users (token)');
    expect(result.stdout).toMatch(/✖ 2 errors, \d+ warnings? in 2 files — PostgreSQL 15 \(default/);
    // the index on the table created in the same file is exempt
    expect(result.stdout).not.toContain('001_users.sql:2');
  });

  it('lints ./migrations when no path is given', async () => {
    const result = await pgwarden(['lint', '--quiet'], { cwd: project, env: NO_DB });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✖ 2 errors/);
  });

  it('exits 0 on a clean file and on an empty file', async () => {
    for (const file of ['clean.sql', 'empty.sql']) {
      const result = await pgwarden(['lint', file], { cwd: project, env: NO_DB });
      expect(result.code, file).toBe(0);
      expect(result.stdout).toContain('✔ 0 errors');
    }
  });

  it('reports a syntax error as a finding with the parser message and position', async () => {
    const result = await pgwarden(['lint', '--format', 'json', 'broken.sql'], { cwd: project, env: NO_DB });
    expect(result.code).toBe(1);
    const finding = JSON.parse(result.stdout).files[0].findings[0];
    expect(finding).toMatchObject({
      rule: 'syntax-error',
      level: 'error',
      message: 'syntax error at or near "TABEL"',
      line: 1,
      column: 7,
    });
  });

  it('exits 2 naming a missing path, without a stack trace', async () => {
    const result = await pgwarden(['lint', 'migrations', 'nope/'], { cwd: project, env: NO_DB });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pgwarden: nope/: no such file or directory\n');
    expect(result.stdout).toBe('');
  });

  it('exits 2 naming a directory that holds no .sql file (not "0 files")', async () => {
    const dir = tempDir({ 'db/README.md': '# notes\n', 'db/schema/.keep': '' });
    const result = await pgwarden(['lint', 'db'], { cwd: dir, env: NO_DB });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pgwarden: db: no .sql file in this directory (or below it)');
    expect(result.stdout).toBe('');
  });

  it('exits 2 on a file that is not UTF-8', async () => {
    const result = await pgwarden(['lint', 'latin1.sql'], { cwd: project, env: NO_DB });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('latin1.sql: not valid UTF-8 (invalid byte 0xe9 at byte 8, line 1)');
    expect(result.stderr).toContain('hint: Convert the file to UTF-8');
  });

  it('exits 2 when no path is given and there is no migrations directory', async () => {
    const empty = tempDir();
    const result = await pgwarden(['lint'], { cwd: empty, env: NO_DB });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no paths given and no migrations directory found');
  });

  it('writes the JSON shape of the design, with --format json or --json', async () => {
    for (const args of [
      ['lint', '--format', 'json', 'migrations'],
      ['--json', 'lint', 'migrations'],
    ]) {
      const result = await pgwarden(args, { cwd: project, env: NO_DB });
      const json = JSON.parse(result.stdout);
      expect(Object.keys(json)).toEqual(['files', 'summary']);
      expect(json.summary).toMatchObject({ files: 2, errors: 2 });
      const finding = json.files[1].findings.find(
        (f: { rule: string }) => f.rule === 'require-concurrent-index-creation',
      );
      expect(finding).toEqual({
        rule: 'require-concurrent-index-creation',
        level: 'error',
        message: expect.stringContaining('SHARE lock on users'),
        line: 2,
        column: 33,
        endLine: 2,
        endColumn: 46,
        help: expect.any(String),
        fix: 'CREATE INDEX CONCURRENTLY users_token_idx ON users (token)',
      });
    }
  });

  it('writes SARIF 2.1.0', async () => {
    const result = await pgwarden(['lint', '--format', 'sarif', 'migrations'], { cwd: project, env: NO_DB });
    const sarif = JSON.parse(result.stdout);
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('pgwarden');
    const ruleIds = run.tool.driver.rules.map((r: { id: string }) => r.id);
    for (const res of run.results) {
      expect(ruleIds[res.ruleIndex]).toBe(res.ruleId);
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe('migrations/002_token.sql');
      expect(res.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
    }
    expect(run.results.length).toBeGreaterThanOrEqual(2);
  });

  it('writes GitHub annotations', async () => {
    const result = await pgwarden(['lint', '--format', 'github', 'migrations'], { cwd: project, env: NO_DB });
    expect(result.stdout).toMatch(
      /^::error file=migrations\/002_token\.sql,line=2,col=33,endLine=2,endColumn=46,title=pgwarden require-concurrent-index-creation::CREATE INDEX/m,
    );
  });

  it('checks for the PostgreSQL version given, and rejects a bad one', async () => {
    const dir = tempDir({ 'm.sql': 'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;' });
    expect((await pgwarden(['lint', 'm.sql'], { cwd: dir, env: NO_DB })).code).toBe(0);
    const old = await pgwarden(['lint', '--pg-version', '10', 'm.sql'], { cwd: dir, env: NO_DB });
    expect(old.code).toBe(1);
    expect(old.stdout).toContain('PostgreSQL 10 (from option)');
    const bad = await pgwarden(['lint', '--pg-version', 'fifteen', 'm.sql'], { cwd: dir, env: NO_DB });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--pg-version must be a PostgreSQL major version');
  });

  it('prints a rule’s docs with --explain, and lists rules', async () => {
    const explain = await pgwarden(['lint', '--explain', 'require-concurrent-index-creation']);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('# require-concurrent-index-creation');
    expect(explain.stdout).toContain('## Safe alternative');
    expect(explain.stdout).toContain('SHARE on the table');
    const unknown = await pgwarden(['lint', '--explain', 'nope']);
    expect(unknown.code).toBe(2);
    const list = await pgwarden(['lint', '--list-rules']);
    expect(list.stdout).toMatch(/^adding-field-with-default\s+error\s+recommended\s+/m);
  });

  it('applies config: rule levels, runner, presets; and --rule overrides it', async () => {
    const dir = tempDir({
      'pgwarden.config.json': JSON.stringify({
        lint: { rules: { 'require-concurrent-index-creation': 'warning' } },
      }),
      'm.sql': 'CREATE INDEX i ON users (email);',
    });
    const warned = await pgwarden(['lint', '--format', 'json', 'm.sql'], { cwd: dir, env: NO_DB });
    expect(warned.code).toBe(0);
    expect(JSON.parse(warned.stdout).files[0].findings[0].level).toBe('warning');
    const strict = await pgwarden(['lint', '--fail-on', 'warning', 'm.sql'], { cwd: dir, env: NO_DB });
    expect(strict.code).toBe(1);
    const off = await pgwarden(['lint', '--rule', 'require-concurrent-index-creation=off', 'm.sql'], {
      cwd: dir,
      env: NO_DB,
    });
    expect(off.code).toBe(0);
    const bad = await pgwarden(['lint', '--rule', 'require-concurrent-index-creation', 'm.sql'], {
      cwd: dir,
      env: NO_DB,
    });
    expect(bad.code).toBe(2);
  });

  it('reads config from package.json#pgwarden', async () => {
    const dir = tempDir({
      'package.json': JSON.stringify({ name: 'app', pgwarden: { lint: { runner: 'psql' } } }),
      'm.sql': 'ALTER TABLE users ADD COLUMN x int;',
    });
    const result = await pgwarden(['lint', '--format', 'json', 'm.sql'], { cwd: dir, env: NO_DB });
    expect(JSON.parse(result.stdout).files[0].findings.map((f: { rule: string }) => f.rule)).toContain(
      'require-lock-timeout',
    );
  });

  it('reports every problem of an invalid config at once, with exit 2', async () => {
    const dir = tempDir({
      'pgwarden.config.json': JSON.stringify({
        lint: {
          pgVersion: 'fifteen',
          rules: { 'no-such-rule': 'error', 'ban-drop-table': 'loud' },
          colour: true,
        },
        extra: 1,
      }),
      'm.sql': 'SELECT 1;',
    });
    const result = await pgwarden(['lint', 'm.sql'], { cwd: dir, env: NO_DB });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pgwarden.config.json: invalid configuration');
    expect(result.stderr).toContain('(top level): unknown key "extra"');
    expect(result.stderr).toContain('lint: unknown key "colour"');
    expect(result.stderr).toContain('lint.pgVersion:');
    expect(result.stderr).toContain('lint.rules.no-such-rule: unknown rule');
    expect(result.stderr).toContain('lint.rules.ban-drop-table:');
  });

  it('exits 3 when DATABASE_URL cannot be reached, without printing its password; --offline skips it', async () => {
    const dir = tempDir({ 'm.sql': 'SELECT 1;' });
    const env = { DATABASE_URL: 'postgres://app:hunter2-secret@127.0.0.1:1/app' };
    const result = await pgwarden(['lint', 'm.sql'], { cwd: dir, env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('cannot connect to 127.0.0.1:1/app');
    expect(result.stderr + result.stdout).not.toContain('hunter2-secret');
    expect((await pgwarden(['lint', '--offline', 'm.sql'], { cwd: dir, env })).code).toBe(0);
  });
});

describe('the example in the README', () => {
  it('shows what the README says', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const dir = join(new URL('../../examples/quickstart', import.meta.url).pathname);
    const result = await pgwarden(['lint', 'migrations'], { cwd: dir, env: NO_DB });
    expect(result.code).toBe(1);
    for (const line of result.stdout
      .split('\n')
      .filter((l) => l.startsWith('error[') || l.startsWith('warning['))) {
      expect(readme, 'README quick start output is stale').toContain(line);
    }
  });
});
