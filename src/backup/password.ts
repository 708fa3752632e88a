/**
 * The optional admin password of `restore`: the config holds only a scrypt hash
 * (`scrypt$<N>$<r>$<p>$<salt>$<hash>`, base64url), made by `pgwarden hash-password`.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { PgwardenError } from '../errors/pgwarden-error.js';

const N = 16384;
const R = 8;
const P = 1;
const LENGTH = 32;

export function hashPassword(password: string): string {
  if (password.length === 0) throw new PgwardenError('USAGE', 'the password is empty');
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, LENGTH, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export function isPasswordHash(value: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/.test(value);
}

export function checkPassword(password: string, stored: string): boolean {
  if (!isPasswordHash(stored)) return false;
  const [, n, r, p, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash!, 'base64url');
  const actual = scryptSync(password, Buffer.from(salt!, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}
