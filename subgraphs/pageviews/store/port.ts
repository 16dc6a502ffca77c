/**
 * The `pageviews` store port. Adapters: `cassandra.ts` (AQS's Cassandra layout)
 * and `embedded.ts` (in-process, no server). `test/pageviews/store.contract.test.ts`
 * runs one suite against both.
 *
 * Writes are absolute, never increments (see model.ts), so every write is
 * idempotent: the same hours written twice, in one batch or in two, leave every
 * row as one write does. Reads are batched (one call, many keys) because the
 * resolvers reach them through DataLoaders; results are positional.
 */
import { TOP_LIST_SIZE, type TopListChanges } from '../top';
import type {
  DailyRangeKey,
  DailyRow,
  HourlyRangeKey,
  HourlyRow,
  PageviewHour,
  TopPageRow,
  TopPagesQuery,
  MonthlyTopPagesQuery,
  WriteResult,
} from '../model';

export interface WriteHoursOptions {
  /**
   * Collect the top-list changes of this write here instead of merging them
   * into the lists now; the caller merges them later with `mergeTopLists`
   * (the bulk loader merges a day's lists once, not once per batch).
   */
  topLists?: TopListChanges;
  /**
   * Who writes, recorded with the days written (`writtenDays`); the stream's
   * writes are STREAM_WRITER. A bulk load uses its own id.
   */
  writer?: string;
  /**
   * Project-days (`project\u0000YYYYMMDD`) of which nothing was stored before
   * this writer started, and project-months (`project\u0000YYYYMM`) with no other
   * day stored: the caller vouches that each article-day of those days is in
   * this call whole, so its sums can come from the call instead of being read
   * back (the bulk loader on a fresh day). A store may ignore it.
   */
  fresh?: { days: ReadonlySet<string>; months: ReadonlySet<string> };
}

/** The writer id of stream ingest in `writtenDays`. */
export const STREAM_WRITER = 'stream';

export interface PageviewsStore {
  /** Human-readable, for start-up logs, e.g. `cassandra 127.0.0.1:9042/sdp_pageviews`. */
  readonly description: string;
  /** False for the embedded store: the platform replays its streams from the start on every start. */
  readonly durable: boolean;

  /**
   * Stores hours (each cell it measures replaces the stored one; the others stay),
   * then recomputes, as absolute sums, the daily rows and ranking entries (day
   * and month) of every article-day it touched, then merges them into the
   * precomputed top lists (top.ts) unless `options.topLists` defers that. Later hours in the array win over earlier ones
   * for the same article-hour. Hours whose day is past hourly retention are not
   * written and are counted as expired. A call that throws may have written part
   * of the batch; writing the same batch again completes it.
   */
  writeHours(hours: readonly PageviewHour[], options?: WriteHoursOptions): Promise<WriteResult>;

  /**
   * The days of a project's month (`YYYYMM`) that hold hours, each with the
   * writers that wrote them (see WriteHoursOptions.writer), from marks every
   * `writeHours` sets before it writes hours.
   */
  writtenDays(project: string, month: string): Promise<Map<string, Set<string>>>;

  /** Merges deferred top-list changes into the lists (idempotent: the changes are absolute views). */
  mergeTopLists(changes: TopListChanges): Promise<void>;

  /** Stored hours of articles in hour ranges (inclusive), ascending; element i answers key i. */
  hourlyRows(keys: readonly HourlyRangeKey[]): Promise<HourlyRow[][]>;

  /** AQS daily rows of articles in day ranges (inclusive), ascending; element i answers key i. */
  dailyRows(keys: readonly DailyRangeKey[]): Promise<DailyRow[][]>;

  /**
   * The most viewed articles of a project on a day by user-agent views through
   * `access`, most views first (ties by title), at most `limit`, without zero
   * rows: read from the day's precomputed list (one partition).
   */
  topPages(query: TopPagesQuery): Promise<TopPageRow[]>;

  /** The same for a calendar month (AQS's monthly top, `day = 'all-days'`), from its precomputed list. */
  topPagesOfMonth(query: MonthlyTopPagesQuery): Promise<TopPageRow[]>;

  /**
   * The same answer as `topPages`, ranked from every article's entry of the
   * day (a scan of the day): how lists are rebuilt, and the bench's baseline.
   */
  scanTopPages(query: TopPagesQuery): Promise<TopPageRow[]>;

  close(): Promise<void>;
}

/** How many articles `topPages` may rank: AQS publishes the top 1000. */
export const MAX_TOP_PAGES = TOP_LIST_SIZE;

export function checkTopLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_TOP_PAGES) {
    throw new RangeError(`limit must be an integer between 0 and ${MAX_TOP_PAGES}, got ${limit}`);
  }
}

/**
 * Keeps the `limit` best of a stream of rows (most views, then smallest title)
 * in a bounded min-heap: ranking a day of a large wiki (millions of articles)
 * needs memory for the top N only, whatever the partition holds.
 */
export class TopN<T extends TopPageRow = TopPageRow> {
  private readonly heap: T[] = [];

  constructor(private readonly limit: number) {}

  /** True when `a` ranks below `b`. */
  private static worse(a: TopPageRow, b: TopPageRow): boolean {
    return a.views < b.views || (a.views === b.views && a.title > b.title);
  }

  offer(row: T): void {
    if (this.limit === 0 || row.views <= 0) return;
    const h = this.heap;
    if (h.length < this.limit) {
      h.push(row);
      for (let i = h.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!TopN.worse(h[i]!, h[parent]!)) break;
        [h[i], h[parent]] = [h[parent]!, h[i]!];
        i = parent;
      }
      return;
    }
    if (!TopN.worse(h[0]!, row)) return;
    h[0] = row;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && TopN.worse(h[l]!, h[worst]!)) worst = l;
      if (r < h.length && TopN.worse(h[r]!, h[worst]!)) worst = r;
      if (worst === i) break;
      [h[i], h[worst]] = [h[worst]!, h[i]!];
      i = worst;
    }
  }

  /** Best first. */
  ranked(): T[] {
    return [...this.heap].sort((a, b) => (TopN.worse(a, b) ? 1 : TopN.worse(b, a) ? -1 : 0));
  }
}
