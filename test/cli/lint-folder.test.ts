/** `pgwarden lint` without paths reads the migration folder in its format: up scripts only, in the tool's order, file lines kept. */
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
    // the down sections (DROP INDEX, DROP TABLE) are not linted as if they ran; given as a
    // directory, the same folder is linted file by file and they are
    expect(findings).toEqual(['20240102000000_email_idx.sql:3 require-concurrent-index-creation']);
    const asFiles = await pgwarden(['lint', 'db/migrations', '--format', 'json'], {
      cwd: project,
      env: NO_DB,
    });
    expect(asFiles.stdout).toContain('ban-drop-table');
    expect(result.code).toBe(1);
  });

  it('lints every SQL file of a folder of no known layout', async () => {
    const project = tempDir({ 'migrations/schema.sql': 'CREATE INDEX i ON t (x);\n' });
    const result = await pgwarden(['lint', '--format', 'json'], { cwd: project, env: NO_DB });
    expect(JSON.parse(result.stdout).files).toHaveLength(1);
    expect(result.code).toBe(1);
  });
});
