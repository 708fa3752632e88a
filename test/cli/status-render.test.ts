/**
 * `pgwarden status` text: each migration's name beside a version-only id (dbmate, Flyway,
 * golang-migrate), the files the tool skips, Flyway's several locations, and the files the format
 * refuses (broken), which `migrate` would refuse the folder for.
 */
import { describe, expect, it } from 'vitest';
import { renderStatus } from '../../src/cli/commands/migrations-run.js';
import type { MigrationStatus } from '../../src/migrate/status.js';

describe('status text', () => {
  it('shows the name where the id is only a version, once where the id holds it already', () => {
    const status: MigrationStatus = {
      format: 'dbmate',
      dir: '/p/db/migrations',
      historyTable: 'public.schema_migrations',
      historyExists: true,
      entries: [
        {
          id: '20260101000000',
          name: 'create_users',
          path: '20260101000000_create_users.sql',
          state: 'applied',
          appliedAt: '2026-01-02T03:04:05.000Z',
        },
        {
          id: '20260102000000',
          name: 'add_email',
          path: '20260102000000_add_email.sql',
          state: 'pending',
          appliedAt: undefined,
        },
        { id: '003_orders', name: 'orders', path: '003_orders.sql', state: 'pending', appliedAt: undefined },
      ],
      counts: { applied: 1, pending: 2, modified: 0, missing: 0, failed: 0, partial: 0 },
      warnings: ['add_users.sql is skipped, as the Supabase CLI skips it'],
    };
    expect(renderStatus(status, '/p', false).split('\n')).toEqual([
      'dbmate migrations in db/migrations, history public.schema_migrations',
      '  applied   20260101000000 create_users 2026-01-02 03:04:05',
      '  pending   20260102000000 add_email',
      '  pending   003_orders',
      'warning: add_users.sql is skipped, as the Supabase CLI skips it',
      '1 applied, 2 pending',
    ]);
  });

  it('names every location, and lists broken files with the reason, then what migrate does and the hint', () => {
    const status: MigrationStatus = {
      format: 'flyway',
      dir: '/p/sql',
      dirs: ['/p/sql', '/p/seed'],
      historyTable: 'public.flyway_schema_history',
      historyExists: true,
      entries: [
        {
          id: '1',
          name: 'users',
          path: 'V1__users.sql',
          state: 'applied',
          appliedAt: '2026-01-02T03:04:05.000Z',
        },
        { id: '20', name: 'demo', path: '../seed/V20__demo.sql', state: 'pending', appliedAt: undefined },
      ],
      counts: { applied: 1, pending: 1, modified: 0, missing: 0, failed: 0, partial: 0 },
      broken: [
        {
          path: 'V2__posts.sql',
          code: 'FILE_NOT_UTF8',
          reason: 'not valid UTF-8 (invalid byte 0xe9 at byte 40, line 3)',
          hint: 'Convert the file to UTF-8, for example with `iconv -f LATIN1 -t UTF-8`.',
          applied: true,
          appliedAt: '2026-01-03T00:00:00.000Z',
        },
      ],
    };
    expect(renderStatus(status, '/p', false).split('\n')).toEqual([
      'flyway migrations in sql, seed, history public.flyway_schema_history',
      '  applied   1 users  2026-01-02 03:04:05',
      '  pending   20 demo',
      '  broken    V2__posts.sql (applied 2026-01-03 00:00:00)  not valid UTF-8 (invalid byte 0xe9 at byte 40, line 3)',
      '1 applied, 1 pending, 1 broken',
      'pgwarden migrate refuses the folder until the broken file is fixed.',
      'hint: Convert the file to UTF-8, for example with `iconv -f LATIN1 -t UTF-8`.',
    ]);
  });
});
