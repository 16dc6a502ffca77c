/**
 * The `pageviews` bulk loader behind `sdp load pageviews <file>...`: loads
 * Wikimedia's hourly dumps (dump.ts) day by day, in one pass over the files.
 *
 * The files are grouped by the day their name gives. A day's lines are read
 * once (readline, through gunzip for `.gz`) and gathered in memory per
 * article-day, so each article-day is written once: its hours as one unlogged
 * batch of its partition, its daily row and ranking entries once, and the
 * day's top lists merged once (store `writeHours` with deferred `topLists`,
 * then `mergeTopLists`), instead of once per batch of lines as they come.
 *
 * Memory is bounded by `memoryBytes` (`sdp load --memory`), whatever the size
 * of the files: when a day's article-days do not fit, what is gathered so far
 * and the rest of the day's lines are spilled to SPILL_FANOUT temporary files
 * by a hash of the article, and each of those is loaded in turn the same way
 * (split again, with another hash, should one still not fit). An article's
 * lines always land in one part, so every article-day is still written whole.
 *
 * Daily rows stay exact when a day is loaded in parts (some hours now, the
 * rest later) or also fed by the stream. On a project-day that held nothing
 * before this load (FreshDays: every writer marks the days it writes), each
 * article-day's sums are what the load gathered, written without reading
 * anything back. On any other, the store sums each article-day from *all*
 * its stored hours (one partition read), not from what this load saw: a dump
 * line measures desktop or mobile-web user views only, and the stream or an
 * earlier load may hold other hours or cells of the same article-day. Reading
 * back only where something was stored keeps the common case (a backfill of
 * days nobody wrote) at write speed and every other case exact.
 *
 * Idempotent: a line's count is an absolute value for its article-hour, and
 * the daily rows and lists are recomputed from the hours, so loading a file
 * again (after a crash half-way, or by mistake) leaves every row as one load did.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import type { Logger } from 'pino';
import { LoadInputError, type LoadOptions, type LoadSummary } from '../../platform/product';
import { dumpHour, isGzipped, parseDumpLine, SKIP } from './dump';
import type { PageviewHour } from './model';
import type { PageviewsStore } from './store/port';
import { TopListChanges } from './top';

/** Hours per store call: whole article-days, so a call may exceed it by one article's day. */
export const BATCH_ROWS = 2000;
export const MAX_BATCHES_IN_FLIGHT = 4;

/** Memory for a day's gathered lines when the caller sets none (`sdp load --memory`). */
export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;

/** Parts a day that does not fit is split into, per level. */
export const SPILL_FANOUT = 16;
/** Levels of splitting before the loader gives up: 16⁴ parts is ample for any real day. */
const MAX_SPILL_DEPTH = 4;

/**
 * Heap bytes a gathered line costs besides its title's characters: the
 * PageviewHour, its cells, its article key and the map entry. Measured with
 * `process.memoryUsage().heapUsed` (after a forced GC, map filled vs cleared)
 * over 996,942 lines of five generated hours, titles 13 characters long on
 * average: 396 B a line, so 370 B plus two per title character.
 */
const LINE_BYTES = 370;

/** Heap bytes of one pending top-list change (a map entry and its object). */
const CHANGE_BYTES = 120;

/** Lines reported per skip reason and file in the log, so a bad file is diagnosable without flooding it. */
const LOGGED_SKIPS = 5;

/** A file's lines, read as a stream; `close` releases the file when reading stops early. */
function openLines(file: string, gzipped: boolean, onBytes?: (bytes: number) => void) {
  const raw = createReadStream(file);
  if (onBytes) raw.on('data', (chunk) => onBytes(chunk.length));
  let input: Readable = raw;
  if (gzipped) {
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

/** FNV-1a of an article with a per-level seed: which spill part its lines go to. */
function partOf(project: string, title: string, depth: number): number {
  let h = (0x811c9dc5 ^ Math.imul(depth + 1, 0x9e3779b1)) >>> 0;
  const key = `${project} ${title}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % SPILL_FANOUT;
}

/** The article-days of a day (or of one part of it) gathered in memory, up to a budget. */
class Gathered {
  readonly articles = new Map<string, PageviewHour[]>();
  bytes = 0;

  constructor(private readonly budget: number) {}

  /** False when the line does not fit: the caller spills. */
  add(h: PageviewHour): boolean {
    const key = `${h.project}\u0000${h.title}`;
    const cost = LINE_BYTES + 2 * h.title.length;
    if (this.bytes + cost > this.budget) return false;
    this.bytes += cost;
    const hours = this.articles.get(key);
    if (hours) hours.push(h);
    else this.articles.set(key, [h]);
    return true;
  }
}

/** Spill files of one split: lines `HH <dump line>`, re-parsed when read back. */
class Spill {
  private readonly outs: WriteStream[];
  readonly files: string[];

  constructor(dir: string, depth: number) {
    this.files = Array.from({ length: SPILL_FANOUT }, (_, i) => path.join(dir, `part-${depth}-${i}`));
    this.outs = this.files.map((f) => createWriteStream(f));
  }

  async write(h: PageviewHour, depth: number): Promise<void> {
    const out = this.outs[partOf(h.project, h.title, depth)]!;
    const cell = h.cells.du !== undefined ? 'du' : 'mwu';
    // Project, title, hour and the one measured cell: all a dump line carries.
    const ok = out.write(
      `${h.hour} ${h.project} ${h.wikiId} ${h.namespace} ${h.title} ${cell} ${h.cells[cell]}\n`,
    );
    if (!ok) await once(out, 'drain');
  }

  /** Releases the files after a failure (the spill folder is removed by the caller). */
  destroy(): void {
    for (const out of this.outs) out.destroy();
  }

  async close(): Promise<void> {
    await Promise.all(
      this.outs.map(
        (out) =>
          new Promise<void>((resolve, reject) =>
            out.end((err?: Error | null) => (err ? reject(err) : resolve())),
          ),
      ),
    );
  }
}

function parseSpilled(line: string): PageviewHour {
  const [hour, project, wikiId, namespace, title, cell, views] = line.split(' ') as string[];
  return {
    hour: hour!,
    project: project!,
    wikiId: wikiId!,
    namespace: Number(namespace),
    title: title!,
    cells: { [cell!]: Number(views) },
  };
}

export async function loadPageviewDumps(
  store: PageviewsStore,
  files: readonly string[],
  options: LoadOptions,
): Promise<LoadSummary> {
  const { logger } = options;
  const budget = options.memoryBytes ?? DEFAULT_MEMORY_BYTES;
  // Every name and file checked before anything is written.
  const byDay = new Map<string, { file: string; hour: string }[]>();
  for (const file of files) {
    const hour = dumpHour(file);
    if (hour === null)
      throw new LoadInputError(
        `${file}: not a pageviews dump name (expected pageviews-YYYYMMDD-HH0000 or .gz)`,
      );
    const day = hour.slice(0, 8);
    byDay.set(day, [...(byDay.get(day) ?? []), { file, hour }]);
  }
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
  const spillDir = await mkdtemp(path.join(tmpdir(), 'sdp-load-'));
  // This load's marks on the days it writes (`writtenDays`): a rerun is another writer.
  const writer = `load-${randomUUID()}`;
  try {
    for (const [day, dayFiles] of [...byDay].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const started = performance.now();
      const rowsBefore = summary.rows;
      const lines = readDay(
        dayFiles.sort((a, b) => (a.hour < b.hour ? -1 : 1)),
        options,
        summary,
        skip,
      );
      const lists = new PendingLists(store, budget);
      const fresh = new FreshDays(store, day, writer);
      const parts = await loadPart(
        { store, budget, spillDir, summary, skip, logger, lists, fresh },
        lines,
        0,
      );
      // The day's lists, merged once (or a few times when the changes outgrow the memory).
      await lists.flush();
      await fresh.confirm();
      logger.info(
        {
          day,
          files: dayFiles.length,
          rows: summary.rows - rowsBefore,
          parts,
          seconds: (performance.now() - started) / 1000,
        },
        'day loaded',
      );
    }
  } finally {
    await rm(spillDir, { recursive: true, force: true });
  }
  return summary;
}

/** The loadable hours of a day's files, in order; skipped lines are counted and (a few) logged. */
async function* readDay(
  dayFiles: readonly { file: string; hour: string }[],
  options: LoadOptions,
  summary: LoadSummary,
  skip: (reason: string) => void,
): AsyncGenerator<PageviewHour> {
  for (const { file, hour } of dayFiles) {
    const logged: Record<string, number> = {};
    let lineNo = 0;
    const reader = openLines(file, isGzipped(file), options.onBytes);
    try {
      for (;;) {
        let next: IteratorResult<string>;
        try {
          next = await reader.lines.next();
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
            options.logger[level](
              { file, line: lineNo, reason: parsed.skip, detail: parsed.detail },
              'skipped dump line',
            );
          }
          continue;
        }
        yield parsed.hour;
      }
    } finally {
      reader.close();
    }
    options.logger.info({ file, hour, lines: lineNo }, 'dump file read');
  }
}

/** Lines of a spill file, parsed back. */
async function* readSpilled(file: string): AsyncGenerator<PageviewHour> {
  const reader = openLines(file, false);
  try {
    for (let next = await reader.lines.next(); !next.done; next = await reader.lines.next()) {
      if (next.value !== '') yield parseSpilled(next.value);
    }
  } finally {
    reader.close();
  }
}

/**
 * Loads a day, or one part of one, from its lines: gathered in memory and
 * written, or, when they do not fit, split by article into spill files
 * loaded one after the other. Returns how many parts were written.
 */
async function loadPart(day: DayLoad, lines: AsyncIterable<PageviewHour>, depth: number): Promise<number> {
  const { budget, spillDir, logger } = day;
  const gathered = new Gathered(budget);
  let spill: Spill | undefined;
  try {
    for await (const h of lines) {
      if (spill) {
        await spill.write(h, depth);
        continue;
      }
      if (gathered.add(h)) continue;
      if (depth >= MAX_SPILL_DEPTH)
        throw new Error(
          `one article-day part does not fit in ${budget} bytes after ${MAX_SPILL_DEPTH} splits; raise --memory`,
        );
      logger.info(
        { depth, bytes: gathered.bytes, budget },
        'day does not fit in memory: splitting it by article',
      );
      spill = new Spill(spillDir, depth);
      for (const hours of gathered.articles.values()) for (const g of hours) await spill.write(g, depth);
      gathered.articles.clear();
      await spill.write(h, depth);
    }
  } catch (err) {
    spill?.destroy();
    throw err;
  }
  if (!spill) {
    await writeGathered(day, gathered);
    return 1;
  }
  await spill.close();
  let parts = 0;
  for (const file of spill.files) {
    parts += await loadPart(day, readSpilled(file), depth + 1);
    await rm(file, { force: true });
  }
  return parts;
}

/** What loading one day needs, passed down its parts. */
interface DayLoad {
  store: PageviewsStore;
  budget: number;
  spillDir: string;
  summary: LoadSummary;
  skip: (reason: string, n?: number) => void;
  logger: Logger;
  lists: PendingLists;
  fresh: FreshDays;
}

/**
 * Which projects are fresh on the day being loaded: nothing of that
 * project-day was stored before this load touched it (no writer marked it,
 * `writtenDays`), so every article-day's sums are what this load gathered and
 * the store can write them without reading the hours back (one read saved
 * per article-day; the month's, too, when no other day of the month is
 * stored). Checked once per project, before its first write of the day.
 *
 * A writer that starts on a fresh project-day while the load runs (the
 * stream) could be missed by the sums written blind; `confirm` checks the
 * marks again at the end of the day and fails the load if anyone else wrote
 * there: running it again is then exact, because the rerun, a new writer,
 * finds the day not fresh and reads every article-day's hours back.
 */
class FreshDays {
  private readonly checked = new Map<string, { day: boolean; month: boolean }>();
  readonly days = new Set<string>();
  readonly months = new Set<string>();

  constructor(
    private readonly store: PageviewsStore,
    private readonly day: string,
    readonly writer: string,
  ) {}

  /** Checks the projects of a batch not checked yet. */
  async check(projects: Iterable<string>): Promise<void> {
    const month = this.day.slice(0, 6);
    for (const project of projects) {
      if (this.checked.has(project)) continue;
      const written = await this.store.writtenDays(project, month);
      const day = !written.has(this.day);
      const other = [...written.keys()].some((d) => d !== this.day);
      this.checked.set(project, { day, month: day && !other });
      if (day) this.days.add(`${project}\u0000${this.day}`);
      if (day && !other) this.months.add(`${project}\u0000${month}`);
    }
  }

  async confirm(): Promise<void> {
    const month = this.day.slice(0, 6);
    const raced: string[] = [];
    for (const [project, fresh] of this.checked) {
      if (!fresh.day) continue;
      const writers = (await this.store.writtenDays(project, month)).get(this.day) ?? new Set();
      if ([...writers].some((w) => w !== this.writer)) raced.push(project);
    }
    if (raced.length > 0)
      throw new Error(
        `${this.day}: another writer (the stream?) wrote ${raced.slice(0, 5).join(', ')}${raced.length > 5 ? ', …' : ''} ` +
          'while this load wrote it as a fresh day, so some daily rows may miss its hours; run the same load ' +
          'again: it will read those days back',
      );
  }
}

/**
 * A day's top-list changes not merged yet: merged at the end of the day, or
 * earlier when they would take more than a quarter of the memory budget (they
 * hold a few entries per article-day). One merge per list per day, not per part.
 */
class PendingLists {
  changes = new TopListChanges();
  private readonly max: number;

  constructor(
    private readonly store: PageviewsStore,
    budget: number,
  ) {
    this.max = Math.max(10_000, Math.floor(budget / 4 / CHANGE_BYTES));
  }

  get full(): boolean {
    return this.changes.size > this.max;
  }

  /** Merges what is pending; the caller waits for the writes that add to it first. */
  async flush(): Promise<void> {
    const pending = this.changes;
    this.changes = new TopListChanges();
    if (pending.size > 0) await this.store.mergeTopLists(pending);
  }
}

/**
 * Writes gathered article-days: whole article-days per store call, at most
 * MAX_BATCHES_IN_FLIGHT calls at a time, their top-list changes left pending.
 */
async function writeGathered(day: DayLoad, gathered: Gathered): Promise<void> {
  const { store, summary, skip, lists, fresh } = day;
  const inFlight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  const write = (batch: PageviewHour[]) => {
    const p: Promise<void> = store
      .writeHours(batch, {
        topLists: lists.changes,
        writer: fresh.writer,
        fresh: { days: fresh.days, months: fresh.months },
      })
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
  try {
    let batch: PageviewHour[] = [];
    for (const hours of gathered.articles.values()) {
      for (const h of hours) batch.push(h);
      if (batch.length < BATCH_ROWS) continue;
      await fresh.check(new Set(batch.map((h) => h.project)));
      write(batch);
      batch = [];
      while (inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(inFlight);
      if (failure) break;
      if (lists.full) {
        await Promise.all([...inFlight]);
        if (failure) break;
        await lists.flush();
      }
    }
    if (batch.length > 0 && !failure) {
      await fresh.check(new Set(batch.map((h) => h.project)));
      write(batch);
    }
  } finally {
    // Whether the loop finished or failed, nothing is left running behind the caller's back.
    await Promise.all([...inFlight]);
  }
  if (failure) throw failure.err;
  gathered.articles.clear();
}
