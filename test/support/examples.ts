/** Runs a script of examples/ as a reader of the README would, collecting everything it prints. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function runExample(name: string): Promise<{ code: number | null; output: string }> {
  const script = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * The lines of the README's fenced blocks between two marker texts (fences and blank lines left
 * out): what a walkthrough quotes from its example's output.
 */
export function readmeQuotes(from: string, to: string): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf(from);
  const end = readme.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`README markers not found: "${from}" … "${to}"`);
  if (readme.indexOf(from, start + 1) >= 0) throw new Error(`README marker "${from}" is not unique`);
  const lines: string[] = [];
  let fenced = false;
  for (const line of readme.slice(start, end).split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (fenced && line.trim()) lines.push(line);
  }
  return lines;
}
