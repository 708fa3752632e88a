/** Large inputs complete, without work that grows with the square of the file. */
import { describe, expect, it } from 'vitest';
import { lintText } from '../../src/lint/lint.js';

describe('a 10 MB migration', () => {
  it('is linted completely', async () => {
    const chunk = [
      "INSERT INTO settings (key, value) VALUES ('k', 'some text to fill the file up');",
      'ALTER TABLE users ADD COLUMN c int;',
      "UPDATE users SET c = 1 WHERE note = 'x';",
    ].join('\n');
    const repeat = Math.ceil((10 * 1024 * 1024) / (chunk.length + 1));
    const sql = `${`${chunk}\n`.repeat(repeat)}CREATE INDEX users_c_idx ON users (c);\n`;
    const result = await lintText(sql);
    // the UPDATE under the ALTER's ACCESS EXCLUSIVE is reported once, not once per statement
    expect(result.findings.filter((f) => f.rule === 'data-change-under-exclusive-lock')).toHaveLength(1);
    // the last statement of the file is reached
    const index = result.findings.find((f) => f.rule === 'require-concurrent-index-creation');
    expect(index?.line).toBe(repeat * 3 + 1);
  }, 120_000);
});
