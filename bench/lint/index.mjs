/**
 * bench/lint: pgwarden against squawk (its native binary) on the same files, in one run:
 * - the generated corpus of 2,000 small migration files (`lint/corpus.mjs`);
 * - a real-sized folder: 300 migrations of 1 to 16 changes each (thousands of statements);
 * - one small file: pgwarden's start-up against `node -e ''`.
 * For each corpus: pgwarden cold, pgwarden with `--cache` after a first run (nothing changed, as
 * in CI with the cache file kept or in an editor), squawk, and the floor of any linter on
 * PostgreSQL's own parser (start Node, load libpg-query, parse every file). Medians of
 * BENCH_RUNS runs (default 5). Targets: pgwarden ≤ 2× squawk; one file ≤ 4× `node -e ''`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { squawkBinary } from '../tools.mjs';
import { writeCorpus } from './corpus.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
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
const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;

/** One corpus: every way RUNS times, interleaved. */
function corpus(dir, label, files, squawkBin) {
  const pgwarden = [cli, 'lint', '--offline', '--format', 'json', 'migrations'];
  const cached = [...pgwarden, '--cache', '--cache-location', join(dir, 'lint-cache.json')];
  const names = readdirSync(join(dir, 'migrations')).map((f) => join('migrations', f));
  const squawk = ['--reporter', 'json', ...names];
  // the parse-only floor with the flags the CLI sets (baseline WebAssembly code only)
  const parseOnly = [
    '--liftoff-only',
    join(root, 'bench', 'lint', 'parse-only.mjs'),
    join(dir, 'migrations'),
  ];
  // warm the file cache, fill the lint cache, and check both tools run
  const first = time(process.execPath, cached, dir);
  const summary = JSON.parse(first.stdout).summary;
  const statements = Number(time(process.execPath, parseOnly, dir).stdout);
  time(squawkBin, squawk, dir);
  const runs = { cold: [], warm: [], squawk: [], parse: [] };
  for (let i = 0; i < RUNS; i++) {
    runs.cold.push(time(process.execPath, pgwarden, dir).ms);
    runs.warm.push(time(process.execPath, cached, dir).ms);
    runs.squawk.push(time(squawkBin, squawk, dir).ms);
    runs.parse.push(time(process.execPath, parseOnly, dir).ms);
  }
  const [cold, warm, s, floor] = [runs.cold, runs.warm, runs.squawk, runs.parse].map(median);
  const verdict = (ratio) => `${ratio.toFixed(2)}× squawk ${ratio <= 2 ? 'OK' : 'OVER TARGET (≤ 2.00×)'}`;
  console.log(
    `  ${label}: ${files} files, ${statements} statements (${summary.errors} errors, ${summary.warnings} warnings)`,
  );
  console.log(`    pgwarden lint          ${ms(cold)}  ${verdict(cold / s)}`);
  console.log(
    `    pgwarden lint --cache  ${ms(warm)}  ${verdict(warm / s)} (nothing changed since the last run)`,
  );
  console.log(`    squawk                 ${ms(s)}`);
  console.log(`    parse only (floor)     ${ms(floor)}  ${(floor / s).toFixed(2)}× squawk`);
  return {
    files,
    statements,
    pgwardenMs: cold,
    cachedMs: warm,
    squawkMs: s,
    parseOnlyMs: floor,
    ratio: cold / s,
  };
}

export function benchLint() {
  const base = mkdtempSync(join(tmpdir(), 'pgwarden-bench-lint-'));
  try {
    const squawkBin = squawkBinary();
    console.log(`bench/lint: pgwarden against squawk, median of ${RUNS} runs each`);
    const many = join(base, 'many');
    writeCorpus(join(many, 'migrations'), FILES);
    const generated = corpus(many, 'generated corpus', FILES, squawkBin);
    const real = join(base, 'real');
    writeCorpus(join(real, 'migrations'), 300, 7, 16);
    const realSized = corpus(real, 'real-sized folder', 300, squawkBin);

    const one = join(base, 'one');
    writeCorpus(one, 1, 3, 2);
    const small = readdirSync(one)[0];
    const starts = { node: [], lint: [] };
    for (let i = 0; i < RUNS * 2; i++) {
      starts.node.push(time(process.execPath, ['-e', ''], base).ms);
      starts.lint.push(time(process.execPath, [cli, 'lint', '--offline', join(one, small)], base).ms);
    }
    const node = median(starts.node);
    const lintOne = median(starts.lint);
    const startRatio = lintOne / node;
    console.log('  one small file');
    console.log(
      `    pgwarden lint          ${ms(lintOne)}  ${startRatio.toFixed(2)}× node -e '' ${startRatio <= 4 ? 'OK' : 'OVER TARGET (≤ 4.00×)'}`,
    );
    console.log(`    node -e ''             ${ms(node)}`);
    return { generated, realSized, oneFileMs: lintOne, nodeMs: node, startRatio };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
