/**
 * bench/lint: pgwarden against squawk on the same generated corpus, in one run.
 * Prints files/s for each and the wall-time ratio (target: pgwarden ≤ 2× squawk).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { squawkBinary } from '../tools.mjs';
import { writeCorpus } from './corpus.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILES = Number(process.env.BENCH_LINT_FILES ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function time(command, args, cwd) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw result.error;
  return { ms, status: result.status, stdout: result.stdout.toString() };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export function benchLint() {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-bench-lint-'));
  try {
    const bytes = writeCorpus(join(dir, 'migrations'), FILES);
    const files = readdirSync(join(dir, 'migrations')).map((f) => join('migrations', f));
    const pgwarden = [
      join(root, 'dist', 'cli', 'main.js'),
      'lint',
      '--offline',
      '--format',
      'json',
      'migrations',
    ];
    const squawkBin = squawkBinary();
    const squawk = ['--reporter', 'json', ...files];
    // warm the file cache and check both tools run
    const first = time(process.execPath, pgwarden, dir);
    const findings = JSON.parse(first.stdout).summary;
    time(squawkBin, squawk, dir);
    const parseOnly = [join(root, 'bench', 'lint', 'parse-only.mjs'), join(dir, 'migrations')];
    const results = { pgwarden: [], squawk: [], parse: [] };
    for (let i = 0; i < RUNS; i++) {
      results.pgwarden.push(time(process.execPath, pgwarden, dir).ms);
      results.squawk.push(time(squawkBin, squawk, dir).ms);
      results.parse.push(time(process.execPath, parseOnly, dir).ms);
    }
    const p = median(results.pgwarden);
    const s = median(results.squawk);
    const floor = median(results.parse);
    const ratio = p / s;
    console.log(
      `bench/lint: ${FILES} files, ${(bytes / 1024 / 1024).toFixed(1)} MB, median of ${RUNS} runs each`,
    );
    console.log(
      `  pgwarden lint  ${p.toFixed(0).padStart(6)} ms  ${((FILES / p) * 1000).toFixed(0).padStart(6)} files/s  (${findings.errors} errors, ${findings.warnings} warnings)`,
    );
    console.log(
      `  squawk         ${s.toFixed(0).padStart(6)} ms  ${((FILES / s) * 1000).toFixed(0).padStart(6)} files/s`,
    );
    console.log(
      `  parse only     ${floor.toFixed(0).padStart(6)} ms  (Node + libpg-query parsing every file, no analysis: the floor for a linter on PostgreSQL's own parser)`,
    );
    console.log(
      `  ratio pgwarden/squawk: ${ratio.toFixed(2)}× (target ≤ 2.00×) ${ratio <= 2 ? 'OK' : 'OVER TARGET'}; parse-only floor/squawk: ${(floor / s).toFixed(2)}×`,
    );
    return { files: FILES, pgwardenMs: p, squawkMs: s, parseOnlyMs: floor, ratio };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
