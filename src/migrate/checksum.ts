/** pgwarden's migration checksum: SHA-256 of the text with CRLF turned into LF, algorithm-prefixed. */
import { createHash } from 'node:crypto';

export function checksumOf(text: string): string {
  return `sha256:${createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex')}`;
}
