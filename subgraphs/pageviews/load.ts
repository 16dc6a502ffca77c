/**
 * The `pageviews` bulk loader behind `sdp load pageviews <file>...`: streams
 * Wikimedia's hourly dumps (dump.ts) into the store. Memory stays bounded
 * whatever the file size: lines are read one at a time (readline, through
 * gunzip for `.gz`), written in batches of BATCH_ROWS with at most
 * MAX_BATCHES_IN_FLIGHT batches outstanding; reading waits while that many are.
 *
 * Idempotent: a line's count is an absolute value for its article-hour, and the
 * daily rows are recomputed from the hours, so loading a file again (after a
 * crash half-way, or by mistake) leaves every row as one load did.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LoadInputError, type LoadOptions, type LoadSummary } from '../../platform/product';
import { dumpHour, isGzipped, parseDumpLine, SKIP } from './dump';
import type { PageviewHour } from './model';
import type { PageviewsStore } from './store/port';

export const BATCH_ROWS = 1000;
export const MAX_BATCHES_IN_FLIGHT = 4;

/** Lines reported per skip reason and file in the log, so a bad file is diagnosable without flooding it. */
const LOGGED_SKIPS = 5;

/** A file's lines, read as a stream; `close` releases the file when reading stops early. */
function openLines(file: string, onBytes?: (bytes: number) => void) {
  const raw = createReadStream(file);
  if (onBytes) raw.on('data', (chunk) => onBytes(chunk.length));
  let input: Readable = raw;
  if (isGzipped(file)) {
    // pipeline, not pipe: a read error destroys the gunzip stream, which fails the line iteration.
    input = pipeline(raw, createGunzip(), () => undefined);
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  return {
    lines: lines[Symbol.asyncIterator](),
    close() {
      lines.close();
      input.destroy();
      raw.destroy();
    },
  };
}

export async function loadPageviewDumps(
  store: PageviewsStore,
  files: readonly string[],
  options: LoadOptions,
): Promise<LoadSummary> {
  const { logger } = options;
  // Every name and file checked before anything is written.
  const hours = files.map((file) => {
    const hour = dumpHour(file);
    if (hour === null)
      throw new LoadInputError(
        `${file}: not a pageviews dump name (expected pageviews-YYYYMMDD-HH0000 or .gz)`,
      );
    return hour;
  });
  await Promise.all(
    files.map((file) =>
      access(file).catch((err: unknown) => {
        throw new LoadInputError(`${file}: cannot be read: ${(err as Error).message}`);
      }),
    ),
  );

  const summary: LoadSummary = { records: 0, rows: 0, skipped: {} };
  const skip = (reason: string, n = 1) => {
    if (n > 0) summary.skipped[reason] = (summary.skipped[reason] ?? 0) + n;
  };
  const inFlight = new Set<Promise<void>>();
  // The first failed write; reading stops at the next batch boundary and the load fails with it.
  let failure: { err: unknown } | undefined;
  const write = (batch: PageviewHour[]) => {
    const p: Promise<void> = store
      .writeHours(batch)
      .then(
        (result) => {
          summary.rows += result.written;
          skip(SKIP.expired, result.expired);
        },
        (err: unknown) => {
          failure ??= { err };
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  /** Waits while the limit is reached; rethrows a failed write. */
  const throttle = async () => {
    while (inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure.err;
  };

  try {
    for (const [i, file] of files.entries()) {
      const hour = hours[i]!;
      const logged: Record<string, number> = {};
      let batch: PageviewHour[] = [];
      let lineNo = 0;
      const reader = openLines(file, options.onBytes);
      const read = reader.lines;
      try {
        for (;;) {
          let next: IteratorResult<string>;
          try {
            next = await read.next();
          } catch (err) {
            throw new Error(`${file}: cannot read past line ${lineNo}: ${(err as Error).message}`, {
              cause: err,
            });
          }
          if (next.done) break;
          const line = next.value;
          lineNo++;
          if (line === '') continue;
          summary.records++;
          const parsed = parseDumpLine(line, hour);
          if ('skip' in parsed) {
            skip(parsed.skip);
            logged[parsed.skip] = (logged[parsed.skip] ?? 0) + 1;
            if (logged[parsed.skip]! <= LOGGED_SKIPS) {
              // Other projects' lines are expected in every dump; a malformed or invalid line is news.
              const level = parsed.skip === SKIP.unmappedDomain ? 'debug' : 'warn';
              logger[level](
                { file, line: lineNo, reason: parsed.skip, detail: parsed.detail },
                'skipped dump line',
              );
            }
            continue;
          }
          batch.push(parsed.hour);
          if (batch.length >= BATCH_ROWS) {
            write(batch);
            batch = [];
            await throttle();
          }
        }
      } finally {
        reader.close();
      }
      if (batch.length > 0) write(batch);
      logger.info({ file, hour, lines: lineNo }, 'dump file read');
    }
  } finally {
    // Whether the loop finished or failed, nothing is left running behind the caller's back.
    await Promise.all([...inFlight]);
  }
  if (failure) throw failure.err;
  return summary;
}
