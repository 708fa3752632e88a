/** sql-migrate: placeholder registered so the format's work can fill it in (not read yet). */
import { PgwardenError } from '../../errors/pgwarden-error.js';
import type { MigrationFormat } from '../types.js';

export const sqlMigrateFormat: MigrationFormat = {
  id: 'sql-migrate',
  title: 'sql-migrate',
  hasDown: true,
  detectFolder() {
    return 0;
  },
  read() {
    throw new PgwardenError('INTERNAL', 'sql-migrate: not implemented yet');
  },
  history: {
    async detect() {
      return false;
    },
    async read() {
      throw new PgwardenError('INTERNAL', 'sql-migrate: not implemented yet');
    },
    async ensure() {
      throw new PgwardenError('INTERNAL', 'sql-migrate: not implemented yet');
    },
    async markApplied() {
      throw new PgwardenError('INTERNAL', 'sql-migrate: not implemented yet');
    },
  },
};
