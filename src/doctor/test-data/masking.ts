/**
 * Masking of example values before they are printed: the doctor's output lands in CI logs, so a
 * value keeps only what identifies the pattern — its first character, and the domain of an e-mail
 * (`j***@example.com`, `T***`). The mask has a fixed length, so it does not tell the value's length
 * either. Dates are not personal on their own and are shown as they are (see sampling). Control
 * characters in what is kept (an ESC as first character, in a domain) are shown as escapes.
 */
import { escapeControls } from '../../sql/quote.js';

const MASK = '***';

/** The first character (code point, so `홍` stays whole) followed by the mask. */
function maskWord(word: string): string {
  const first = Array.from(word)[0];
  return first === undefined ? MASK : `${first}${MASK}`;
}

/** `j***@example.com` for an e-mail address, `T***` for any other value. */
export function maskValue(value: string): string {
  const v = value.trim();
  const at = v.lastIndexOf('@');
  if (at > 0 && at < v.length - 1 && !/\s/u.test(v))
    return escapeControls(`${maskWord(v.slice(0, at))}@${v.slice(at + 1)}`);
  return escapeControls(maskWord(v));
}
