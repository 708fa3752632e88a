/**
 * A backfill's progress for people and machines: on a terminal a progress bar (cli-progress) with
 * rows done/total, rows/s and ETA; elsewhere a line every few seconds; with --json one JSON line
 * per interval. Starts, pauses (with their reason), retries and the end are always said at once.
 */
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import type { BackfillEvent } from '../backfill/backfill.js';
import { escapeControls } from '../sql/quote.js';

export interface BackfillReporterOptions {
  stream: { write(text: string): unknown; isTTY?: boolean };
  /** A progress bar (the stream is a terminal, and not --json/--quiet). */
  bar: boolean;
  json: boolean;
  /** Milliseconds between progress lines (text or JSON) when there is no bar. */
  intervalMs?: number;
  indent?: string;
}

export interface BackfillReporter {
  event(event: BackfillEvent): void;
  stop(): void;
}

export function backfillReporter(options: BackfillReporterOptions): BackfillReporter {
  const indent = options.indent ?? '  ';
  const interval = options.intervalMs ?? (options.json ? 1000 : 5000);
  const write = (text: string) => options.stream.write(`${text}\n`);
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  let last: Extract<BackfillEvent, { type: 'batch' }> | undefined;
  const say = (event: BackfillEvent) => {
    if (options.json) write(JSON.stringify({ type: `backfill-${event.type}`, ...withoutType(event) }));
    else write(`${indent}${describeBackfillEvent(event)}`);
  };
  return {
    event(event) {
      if (event.type === 'batch') {
        last = event;
        if (bar) {
          bar.setTotal(event.rowsTotal);
          bar.update(event.rowsDone, { rate: event.rowsPerSecond, status: '' });
          return;
        }
        const now = Date.now();
        if (now - lastLine >= interval) {
          lastLine = now;
          say(event);
        }
        return;
      }
      if (event.type === 'start' && options.bar && !options.json) {
        write(`${indent}${describeBackfillEvent(event)}`);
        // loaded only when a bar is drawn: migrate and deploy start without it
        const progress = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
        bar = new progress.SingleBar(
          {
            stream: options.stream as NodeJS.WritableStream,
            format: `${indent}{bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}{status}`,
            barsize: 24,
            hideCursor: false,
            etaBuffer: 20,
            fps: 5,
          },
          progress.Presets.shades_classic,
        );
        bar.start(event.rowsTotal, event.rowsDone, { rate: 0, status: '' });
        return;
      }
      if (bar && (event.type === 'pause' || event.type === 'retry')) {
        bar.update({
          status: ` | ${event.type === 'pause' ? `paused: ${event.reason}` : `retry: ${event.reason}`}`,
        });
        return;
      }
      if (event.type === 'done') {
        if (bar) {
          bar.update(event.rowsDone);
          bar.stop();
          bar = undefined;
        } else if (last && last.rowsDone !== event.rowsDone && !options.json) say(last);
      }
      say(event);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** One line about a backfill event, for people. */
export function describeBackfillEvent(event: BackfillEvent): string {
  switch (event.type) {
    case 'start':
      return `backfill of ${event.table} in batches over (${event.key.join(', ')}): ${event.resumed ? `resumed at ${event.rowsDone} of ${event.rowsTotal} rows` : `${event.rowsTotal} rows`}`;
    case 'batch':
      return `backfill: ${event.rowsDone}/${event.rowsTotal} rows (${percent(event.rowsDone, event.rowsTotal)}), ${event.rowsPerSecond} rows/s${event.etaMs === undefined ? '' : `, ETA ${seconds(event.etaMs)}`}, batches of ${event.batchSize}`;
    case 'pause':
      return `backfill paused: ${escapeControls(event.detail)}`;
    case 'retry':
      return `backfill: ${event.reason.replace('-', ' ')}; the batch was rolled back, retried with ${event.batchSize} rows in ${event.delayMs} ms`;
    case 'done':
      return `backfill done: ${event.rowsUpdated} rows updated of ${event.rowsDone} in ${event.batches} batches, ${seconds(event.durationMs)}`;
  }
}

function withoutType(event: BackfillEvent): Record<string, unknown> {
  const { type: _type, ...rest } = event;
  return rest;
}

function percent(done: number, total: number): string {
  return `${total > 0 ? Math.floor((100 * done) / total) : 100}%`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
