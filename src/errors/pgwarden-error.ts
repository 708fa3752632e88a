import { ERROR_CODES, type ErrorCode, exitCodeForClass } from './codes.js';

export interface PgwardenErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  /** Structured, password-free details for `--json` output. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error type pgwarden throws for expected failures. It carries a stable code, a message
 * that says what was wrong and where, and an optional hint that says what to do.
 */
export class PgwardenError extends Error {
  override readonly name = 'PgwardenError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: PgwardenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return exitCodeForClass(ERROR_CODES[this.code].class);
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isPgwardenError(error: unknown): error is PgwardenError {
  return error instanceof PgwardenError;
}
