/** diesel: placeholder registered so the format's work can fill it in (not written yet). */
import { PgwardenError } from '../../errors/pgwarden-error.js';
import type { FormatWriter } from './writer.js';

export const dieselWriter: FormatWriter = {
  oneQueryPerFile: false,
  hasDown: true,
  plan() {
    throw new PgwardenError('INTERNAL', 'diesel: not implemented yet');
  },
};
