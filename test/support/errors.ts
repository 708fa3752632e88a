/** The PgwardenError a promise rejects with; anything else (or no rejection) fails the test. */
import { isPgwardenError, type PgwardenError } from '../../src/errors/pgwarden-error.js';

export async function rejection(promise: Promise<unknown>): Promise<PgwardenError> {
  try {
    await promise;
  } catch (error) {
    if (isPgwardenError(error)) return error;
    throw error;
  }
  throw new Error('expected a PgwardenError, nothing was thrown');
}
