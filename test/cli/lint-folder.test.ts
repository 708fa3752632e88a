/**
 * `pgwarden lint` of a migration folder reads it in its format (up scripts only, in the tool's order,
 * file lines kept): without paths, given as a directory, for files inside it (after replaying the
 * earlier migrations) and with --changed-since.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { tempDir } from '../support/files.js';

const NO_DB = { DATABASE_URL: undefined };

describe('pgwarden lint on a migration folder', () => {
  it('lints only the up section of dbmate files, with the lines of the file', async () => {
    const project = tempDir({
      'db/migrations/20240101000000_users.sql':
        '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n\n-- migrate:down\nDROP TABLE users;\n',
      'db/migrations/20240102000000_email_idx.sql':
        '-- migrate:up\n\nCREATE INDEX users_email_idx ON users (email);\n\n-- migrate:down\nDROP INDEX users_email_idx;\nDROP TABLE users;\n',
    });
    const result = await pgwarden(['lint', '--format', 'json'], { cwd: project, env: NO_DB });
    const report = JSON.parse(result.stdout);
    const findings = report.files.flatMap((f: { path: string; findings: { rule: string; line: number }[] }) =>
      f.findings.map((x) => `${f.path.split('/').pop()}:${x.line} ${x.rule}`),
    );
    expect(findings).toContain('20240102000000_email_idx.sql:3 require-concurrent-index-creation');
    // the down sections (DROP INDEX, DROP TABLE) are not linted as if they ran, nor when the
    // folder is given as a directory
    expect(findings).toEqual(['20240102000000_email_idx.sql:3 require-concurrent-index-creation']);
    const given = await pgwarden(['lint', 'db/migrations', '--format', 'json'], { cwd: project, env: NO_DB });
    expect(given.stdout).not.toContain('ban-drop-table');
    expect(given.stdout).toContain('require-concurrent-index-creation');
    expect(result.code).toBe(1);
  });

  it('a file inside the folder is linted after its predecessors are replayed: the split NOT NULL recipe is clean, an unknown table is an assumption', async () => {
    const project = tempDir({
      'db/migrations/20240101000000_users.sql':
        '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- migrate:down\nDROP TABLE users;\n',
      'db/migrations/20240102000000_check.sql':
        '-- migrate:up\nALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\n-- migrate:down\n',
      'db/migrations/20240103000000_validate.sql':
        '-- migrate:up\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n-- migrate:down\n',
      'db/migrations/20240104000000_tighten.sql':
        '-- migrate:up\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nCREATE INDEX legacy_x ON legacy (x);\n-- migrate:down\n',
      'loose/tighten.sql': 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n',
    });
    const rules = (out: string) =>
      JSON.parse(out).files.flatMap(
        (f: { path: string; findings: { rule: string; level: string; line: number }[] }) =>
          f.findings.map((x) => `${f.path.split('/').pop()}:${x.line} ${x.level} ${x.rule}`),
      );
    const inFolder = await pgwarden(
      ['lint', 'db/migrations/20240104000000_tighten.sql', '--format', 'json'],
      {
        cwd: project,
        env: NO_DB,
      },
    );
    expect(inFolder.code, inFolder.stderr).toBe(0);
    // only the file asked for is reported; SET NOT NULL is proven by the validated CHECK
    expect(rules(inFolder.stdout)).toEqual([
      '20240104000000_tighten.sql:3 warning require-concurrent-index-creation',
    ]);
    expect(inFolder.stdout).toContain('assumed: legacy is created by no migration pgwarden read');
    // the same statement outside any folder knows nothing of the CHECK
    const loose = await pgwarden(['lint', 'loose/tighten.sql', '--format', 'json'], {
      cwd: project,
      env: NO_DB,
    });
    expect(rules(loose.stdout)).toContain('tighten.sql:1 error adding-not-nullable-field');
  });

  it('--changed-since <ref>: the migrations changed since the ref (and untracked ones), the earlier ones replayed', async () => {
    const project = tempDir({
      'db/migrations/20240101000000_users.sql':
        '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- migrate:down\n',
      'db/migrations/20240102000000_idx.sql':
        '-- migrate:up\nCREATE INDEX users_a ON users (email);\n-- migrate:down\n',
    });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: project,
        stdio: 'ignore',
      });
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    writeFileSync(
      join(project, 'db/migrations/20240103000000_more.sql'),
      '-- migrate:up\nCREATE INDEX users_b ON users (email);\n-- migrate:down\n',
    );
    const result = await pgwarden(['lint', '--changed-since', 'HEAD', '--format', 'json'], {
      cwd: project,
      env: NO_DB,
    });
    const report = JSON.parse(result.stdout);
    expect(report.files.map((f: { path: string }) => f.path.split('/').pop())).toEqual([
      '20240103000000_more.sql',
    ]);
    expect(result.code).toBe(1);
    const bad = await pgwarden(['lint', '--changed-since', 'no-such-ref'], { cwd: project, env: NO_DB });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--changed-since no-such-ref: git diff failed');
    const both = await pgwarden(['lint', '--changed-since', 'HEAD', 'db/migrations'], {
      cwd: project,
      env: NO_DB,
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--changed-since takes no paths');
  });

  it('lints every SQL file of a folder of no known layout', async () => {
    const project = tempDir({ 'migrations/schema.sql': 'CREATE INDEX i ON t (x);\n' });
    const result = await pgwarden(['lint', '--format', 'json'], { cwd: project, env: NO_DB });
    expect(JSON.parse(result.stdout).files).toHaveLength(1);
    expect(result.code).toBe(1);
  });
});
