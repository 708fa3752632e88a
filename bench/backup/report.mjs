/**
 * bench/backup: formatting the figures — sizes, durations and plain-text tables with aligned
 * columns (text columns left, numbers right).
 */

const MB = 1024 * 1024;

export const mb = (bytes) =>
  bytes == null ? '—' : `${(bytes / MB).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;

export const seconds = (ms) => (ms == null ? '—' : `${(ms / 1000).toFixed(2)} s`);

/** Prints `rows` (arrays of strings) under `header`; columns listed in `left` are left-aligned. */
export function printTable(header, rows, left) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (cells) =>
    `  ${cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`.trimEnd();
  console.log(format(header));
  for (const row of rows) console.log(format(row));
}
