/** `pgwarden status` text: each migration's name beside a version-only id (dbmate, Flyway, golang-migrate), and the files the tool skips. */
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
});
