/**
 * Offsets in pgwarden are character offsets (JavaScript string indices) into the file text.
 * libpg_query reports byte offsets into the UTF-8 encoding of the text it parsed; this index
 * converts between the two and from offsets to 1-based line/column positions.
 */
export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in characters. */
  column: number;
}

export class TextIndex {
  readonly text: string;
  private readonly lineStarts: number[];
  /** byte offset -> char offset; undefined when the text is pure ASCII (identity). */
  private byteToChar: Uint32Array | undefined;
  private charToByte: Uint32Array | undefined;
  private readonly ascii: boolean;

  constructor(text: string) {
    this.text = text;
    this.lineStarts = [0];
    let pos = text.indexOf('\n');
    while (pos !== -1) {
      this.lineStarts.push(pos + 1);
      pos = text.indexOf('\n', pos + 1);
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for non-ASCII input
    this.ascii = !/[^\u0000-\u007f]/.test(text);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Char offset of the start of a 1-based line. */
  lineStart(line: number): number {
    return this.lineStarts[Math.max(0, Math.min(line - 1, this.lineStarts.length - 1))] ?? 0;
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - (this.lineStarts[lo] ?? 0) + 1 };
  }

  charOffset(byteOffset: number): number {
    if (this.ascii) return Math.min(byteOffset, this.text.length);
    this.buildMaps();
    const map = this.byteToChar!;
    return map[Math.max(0, Math.min(byteOffset, map.length - 1))] ?? this.text.length;
  }

  byteOffset(charOffset: number): number {
    if (this.ascii) return charOffset;
    this.buildMaps();
    const map = this.charToByte!;
    return map[Math.max(0, Math.min(charOffset, map.length - 1))] ?? 0;
  }

  private buildMaps(): void {
    if (this.byteToChar) return;
    const text = this.text;
    const byteLength = Buffer.byteLength(text, 'utf8');
    const b2c = new Uint32Array(byteLength + 1);
    const c2b = new Uint32Array(text.length + 1);
    let byte = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      c2b[i] = byte;
      let size: number;
      if (code < 0x80) size = 1;
      else if (code < 0x800) size = 2;
      else if (code >= 0xd800 && code <= 0xdbff) {
        // surrogate pair: 4 bytes for two UTF-16 units
        size = 4;
        c2b[i + 1] = byte;
      } else size = 3;
      for (let k = 0; k < size; k++) b2c[byte + k] = i;
      byte += size;
      if (size === 4) i++;
    }
    b2c[byteLength] = text.length;
    c2b[text.length] = byteLength;
    this.byteToChar = b2c;
    this.charToByte = c2b;
  }
}
