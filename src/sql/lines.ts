/** Line numbers of a file for a SQL text that may be a section of it (a dbmate up block). */
import { readSqlFile } from './source.js';

export interface TextInFile {
  path: string;
  text: string;
  /** Character offset of `text` in the file at `path` (0: the whole file). */
  offset?: number;
}

/** Maps a character offset of `source.text` to the 1-based line of the file it is in. */
export function lineMapper(source: TextInFile): (offset: number) => number {
  let base = 0;
  const offset = source.offset ?? 0;
  if (offset > 0) {
    try {
      const file = readSqlFile(source.path).text;
      for (let i = 0; i < offset && i < file.length; i++) if (file.charCodeAt(i) === 10) base++;
    } catch {
      base = 0; // the file is gone: lines of the text itself
    }
  }
  const newlines: number[] = [];
  for (let i = 0; i < source.text.length; i++) if (source.text.charCodeAt(i) === 10) newlines.push(i);
  return (at) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return base + lo + 1;
  };
}

/** The JavaScript index of the `n`-th character (code point, as PostgreSQL counts) of `text`. */
export function charIndex(text: string, n: number): number {
  let index = 0;
  for (let i = 0; i < n && index < text.length; i++) {
    const code = text.charCodeAt(index);
    index += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
  }
  return index;
}
