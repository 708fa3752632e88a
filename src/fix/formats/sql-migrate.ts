/** sql-migrate: placeholder registered so the format's work can fill it in (not written yet). */
import { PgwardenError } from '../../errors/pgwarden-error.js';
import type { FormatWriter } from './writer.js';

export const sqlMigrateWriter: FormatWriter = {
  oneQueryPerFile: false,
  hasDown: true,
  plan() {
    throw new PgwardenError('INTERNAL', 'sql-migrate: not implemented yet');
  },
};
