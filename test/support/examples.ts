/** Runs a script of examples/ as a reader of the README would, collecting everything it prints. */
import { spawn } from 'node:child_process';
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
