/**
 * bench/zero-downtime: printing the figures, per size and way, with the targets next to them.
 */
import { printTable } from '../backup/report.mjs';
import { READER_PAUSE_MS, WRITER_PAUSE_MS } from './app.mjs';

/** Way 3's worst app query, at every size. */
const STALL_TARGET_MS = 500;
/** "Flat": the largest size's stall within this factor, or this many ms, of the smallest size's. */
const FLAT_FACTOR = 1.5;
const FLAT_SLACK_MS = 100;
/** The backfill's rows/s against one plain UPDATE of the table. */
const THROUGHPUT_TARGET = 0.5;

const ms = (value) => (value == null ? '—' : `${Math.round(value).toLocaleString('en-US')} ms`);
const count = (value) => Math.round(value).toLocaleString('en-US');
const verdict = (ok) => (ok ? 'OK' : 'MISSED');

export function report({ unsafe, sizes, readers }) {
  console.log(
    `bench/zero-downtime, ${unsafe.name}: ${unsafe.sql.trim()}\n` +
      `  app = 1 writer every ${WRITER_PAUSE_MS} ms (INSERT without the column / UPDATE of a random row) + ` +
      `${readers} reader(s) every ${READER_PAUSE_MS} ms; figures over the migration window and 1 s after it`,
  );
  const header = [
    'rows',
    'way',
    'migration',
    'max stall',
    'p99',
    'failed',
    '>100 ms',
    'queries',
    'end state',
  ];
  const lines = [];
  for (const size of sizes) {
    for (const w of size.ways) {
      lines.push([
        count(size.rows),
        w.way,
        ms(w.migrationMs),
        ms(w.window?.maxStallMs),
        ms(w.window?.p99Ms),
        w.window ? String(w.window.failed) : '—',
        w.window ? String(w.window.over100ms) : '—',
        w.window ? String(w.window.queries) : '—',
        w.endState ? (w.problems.length ? 'WRONG' : 'ok') : '—',
      ]);
    }
  }
  printTable(header, lines, [1, 8]);
  console.log(
    `  ways: naive = psql -1 -f; migrate = pgwarden migrate --no-lint-gate; fix = pgwarden fix, then migrate${unsafe.runContract ? ' (twice: the second runs the contract step)' : ' (the contract step, if any, is left for the next deploy)'}`,
  );

  for (const size of sizes) {
    const at = `${count(size.rows)} rows`;
    console.log(`  ${at}: template filled in ${ms(size.populateMs)}`);
    const byWay = Object.fromEntries(size.ways.map((w) => [w.way, w]));
    const gate = byWay.migrate?.gate;
    if (gate)
      console.log(
        `    lint gate: pgwarden migrate of the unsafe file exited ${gate.code} in ${ms(gate.ms)} ` +
          (gate.refused
            ? '(refused, nothing applied) OK'
            : unsafe.gateRefuses === false
              ? '(a warning only: let through, as expected)'
              : `NOT REFUSED: ${gate.output.slice(-300)}`),
      );
    for (const step of byWay.migrate?.events?.applied ?? [])
      console.log(`      migrate: ${step.id} applied in ${ms(step.durationMs)} (pgwarden's own timing)`);
    const fix = byWay.fix;
    if (fix?.prepare)
      console.log(
        `    pgwarden fix exited ${fix.prepare.code} in ${ms(fix.prepare.ms)}, wrote ${fix.prepare.files.filter((f) => !f.startsWith('000')).join(', ')}`,
      );
    for (const step of fix?.events?.applied ?? [])
      console.log(
        `      ${step.id}: ${ms(step.durationMs)}${step.retries ? `, ${step.retries} lock-timeout retr${step.retries === 1 ? 'y' : 'ies'}` : ''}`,
      );
    const backfill = fix?.events?.backfill;
    if (backfill) {
      const rate = backfill.rows / (backfill.durationMs / 1000);
      const ratio = rate / size.single.rowsPerSecond;
      console.log(
        `    backfill: ${count(backfill.rows)} rows in ${backfill.batches} batches, ${ms(backfill.durationMs)} = ${count(rate)} rows/s under load; ` +
          `single UPDATE (no load): ${count(size.single.rows)} rows in ${ms(size.single.ms)} = ${count(size.single.rowsPerSecond)} rows/s; ` +
          `ratio ${ratio.toFixed(2)}× (target ≥ ${THROUGHPUT_TARGET}×) ${verdict(ratio >= THROUGHPUT_TARGET)}`,
      );
    } else if (fix && !fix.problems.length) console.log('    backfill: no migration.backfill event found');
    if (fix?.autovacuum)
      console.log(
        `    fix: backfill paused ${fix.backfillPauses.length}× (${[...new Set(fix.backfillPauses.map((p) => p.replace(/\d+/g, 'N')))].join('; ') || 'never'}), ` +
          `${fix.backfillRetries} lock-timeout retries; autovacuum ran ${fix.autovacuum.vacuums}× and autoanalyze ${fix.autovacuum.analyzes}× on users during the run`,
      );
    for (const w of size.ways)
      for (const line of w.inTheWay ?? []) console.log(`    ${w.way}: lock timeout, ${line}`);
    const worstBaseline = Math.max(...size.ways.map((w) => w.baseline?.maxStallMs ?? 0));
    console.log(`    baseline (1 s before each migration): worst app query ${ms(worstBaseline)}`);
    for (const w of size.ways) {
      if (w.worst)
        console.log(
          `    ${w.way}: longest app query ${ms(w.worst.ms)} (${w.worst.role}), started ${ms(w.worst.atMs)} into the migration`,
        );
      for (const problem of w.problems) console.log(`    !!! ${w.way}: ${problem}`);
      if (w.window?.firstError) console.log(`    ${w.way}: first failed app query: ${w.window.firstError}`);
    }
  }

  console.log('  targets:');
  const fixes = sizes.map((s) => ({ rows: s.rows, w: s.ways.find((w) => w.way === 'fix') }));
  const measured = fixes.filter((f) => f.w?.window && !f.w.problems.length);
  for (const f of measured)
    console.log(
      `    fix max stall at ${count(f.rows)} rows: ${ms(f.w.window.maxStallMs)} (target ≤ ${ms(STALL_TARGET_MS)}) ${verdict(f.w.window.maxStallMs <= STALL_TARGET_MS)}`,
    );
  if (measured.length < fixes.length)
    console.log('    fix: some sizes have no figures (see the problems above) MISSED');
  if (measured.length >= 2) {
    const smallest = measured.reduce((a, b) => (b.rows < a.rows ? b : a));
    const largest = measured.reduce((a, b) => (b.rows > a.rows ? b : a));
    const limit = Math.max(
      smallest.w.window.maxStallMs * FLAT_FACTOR,
      smallest.w.window.maxStallMs + FLAT_SLACK_MS,
    );
    console.log(
      `    fix stall flat from ${count(smallest.rows)} to ${count(largest.rows)} rows: ${ms(smallest.w.window.maxStallMs)} → ${ms(largest.w.window.maxStallMs)} ` +
        `(flat = within ${FLAT_FACTOR}× or +${FLAT_SLACK_MS} ms) ${verdict(largest.w.window.maxStallMs <= limit)}`,
    );
  }
  // a rename breaks the app version still running when applied as written: that is the outage
  const judged = (w) => !unsafe.appBreaksNaively || w.way === 'fix';
  const failed = sizes.flatMap((s) =>
    s.ways.map((w) => ({ rows: s.rows, way: w.way, n: w.window?.failed ?? 0, judged: judged(w) })),
  );
  const anyFailed = failed.filter((f) => f.n > 0 && f.judged);
  console.log(
    `    failed app queries (${unsafe.appBreaksNaively ? 'fix' : 'all ways'}, target 0): ${anyFailed.length ? anyFailed.map((f) => `${f.n} [${f.way} ${count(f.rows)}]`).join(', ') : '0'} ${verdict(anyFailed.length === 0)}`,
  );
  const outage = failed.filter((f) => f.n > 0 && !f.judged);
  if (outage.length)
    console.log(
      `    the app version still running, broken by the rename as written: ${outage.map((f) => `${f.n} failed [${f.way} ${count(f.rows)}]`).join(', ')}`,
    );
}
