/**
 * `PageviewsStore` on Cassandra, in AQS's layout (see migrations.ts). Every
 * statement is prepared and routed token-aware by the session
 * (platform/cassandra.ts); reads page through `pageState`.
 *
 * A write batch is four phases:
 *  1. each project-day is marked in `days_written` with its writer (what the
 *     bulk loader's fresh-day check reads, load.ts);
 *  2. each article-hour is one INSERT of the cells it measured (Cassandra
 *     upserts per cell: cells not bound keep their value), TTL from retention.ts;
 *     the hours of one article-day share a partition and go as one unlogged batch;
 *  3. each article-day touched is re-read (≤ 24 rows, one partition; not on a
 *     day the bulk loader vouches is fresh: WriteHoursOptions.fresh) and its
 *     daily row is written as absolute sums; then its month's daily rows are
 *     read (≤ 31 rows, one partition; not on a fresh month) and the day's and
 *     month's ranking entries (`rankedAccesses`) are written, batched unlogged
 *     per ranking partition;
 *  4. the new views are merged into the precomputed top lists (top.ts), one
 *     read and one conditional write per list touched, whatever the batch size
 *     (or deferred to the caller's `mergeTopLists`, as the bulk loader does).
 *
 * Daily rows are written `USING TIMESTAMP` = the newest write time among the
 * hourly cells they were summed from. Two recomputations of one day racing
 * (two loader processes, the loader and the stream, or concurrent batches)
 * therefore converge on the one that saw the newer hours, whatever order their
 * writes land in; a tie (both saw the same newest cell) is settled by Cassandra
 * in favour of the larger value, which is the sum over more hours. No
 * read-modify-write of a stored sum, no lock.
 *
 * A top list is one JSON cell, so its merge is a read-modify-write: merges of
 * one list are serialised within the process, and across processes (loader
 * and stream) the write is a lightweight transaction on the list's `version`,
 * retried on conflict. That costs four round trips per list per batch instead
 * of per row; the stream touches a few lists per batch, the loader one per
 * list per day.
 */
import cassandra from 'cassandra-driver';
import type { Logger } from 'pino';
import type { SdpConfig } from '../../../config/env';
import { openCassandraSession, type CassandraSession } from '../../../platform/cassandra';
import { forEachLimit, mapLimit } from '../concurrency';
import {
  ACCESSES,
  DAILY_COLUMNS,
  HOURLY_COLUMNS,
  dailyColumn,
  dailyCountsOf,
  foldHours,
  measuredColumns,
  rankedAccesses,
  type DailyCounts,
  type DailyRow,
  type HourlyCells,
  type HourlyRow,
  type PageviewHour,
  type TopPageRow,
  type WriteResult,
} from '../model';
import { ttlSeconds, type Retention } from '../retention';
import { dayOfHour, lastDayOfMonth, nextDay } from '../timestamps';
import {
  aqsPeriod,
  mergeTopList,
  parseTopList,
  serializeTopList,
  TOP_LIST_SIZE,
  TopListChanges,
  topListId,
  type TopEntry,
  type TopListKey,
} from '../top';
import { PAGEVIEWS_MIGRATIONS, PAGEVIEWS_PRODUCT, TOP_BUCKETS } from './migrations';
import { checkTopLimit, STREAM_WRITER, TopN, type PageviewsStore, type WriteHoursOptions } from './port';

type Long = cassandra.types.Long;

/** Requests in flight per store call: enough to keep a node busy, few enough not to time out. */
export const CONCURRENCY = 64;

/** FNV-1a of the title's UTF-8: stable across processes and versions (it is part of the storage format). */
export function topBucket(title: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(title, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % TOP_BUCKETS;
}

const HOURLY_READ =
  `SELECT timestamp, ${HOURLY_COLUMNS.join(', ')}, ` +
  `${HOURLY_COLUMNS.map((c) => `WRITETIME(${c})`).join(', ')} ` +
  'FROM per_article_hourly WHERE project = ? AND article = ? AND day = ?';

const HOURLY_RANGE =
  `SELECT timestamp, ${HOURLY_COLUMNS.join(', ')} FROM per_article_hourly ` +
  'WHERE project = ? AND article = ? AND day = ? AND timestamp >= ? AND timestamp <= ?';

const DAILY_WRITE =
  `INSERT INTO per_article_flat (project, article, granularity, timestamp, ${DAILY_COLUMNS.join(', ')}) ` +
  `VALUES (?, ?, 'daily', ?, ${DAILY_COLUMNS.map(() => '?').join(', ')}) USING TTL ? AND TIMESTAMP ?`;

const DAILY_RANGE =
  `SELECT timestamp, ${DAILY_COLUMNS.join(', ')} FROM per_article_flat ` +
  "WHERE project = ? AND article = ? AND granularity = 'daily' AND timestamp >= ? AND timestamp <= ?";

const TOP_WRITE =
  'INSERT INTO top_daily (project, access, day, bucket, article, views) VALUES (?, ?, ?, ?, ?, ?) ' +
  'USING TTL ? AND TIMESTAMP ?';

const TOP_READ =
  'SELECT article, views, WRITETIME(views) FROM top_daily WHERE project = ? AND access = ? AND day = ? AND bucket = ?';

const MONTH_TOP_WRITE =
  'INSERT INTO top_monthly (project, access, month, bucket, article, views) VALUES (?, ?, ?, ?, ?, ?) ' +
  'USING TTL ? AND TIMESTAMP ?';

const MONTH_TOP_READ =
  'SELECT article, views, WRITETIME(views) FROM top_monthly WHERE project = ? AND access = ? AND month = ? AND bucket = ?';

/** The user-agent columns of a month's daily rows, summed into the monthly ranking. */
const MONTH_DAYS_READ =
  `SELECT ${ACCESSES.map((a) => dailyColumn(a, 'user')).join(', ')}, WRITETIME(aa) FROM per_article_flat ` +
  "WHERE project = ? AND article = ? AND granularity = 'daily' AND timestamp >= ? AND timestamp <= ?";

const LIST_KEY = 'project = ? AND access = ? AND year = ? AND month = ? AND day = ?';
const LIST_READ = `SELECT articles, version FROM top_articles WHERE ${LIST_KEY}`;
const LIST_INSERT =
  'INSERT INTO top_articles (project, access, year, month, day, articles, version) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS USING TTL ?';
const LIST_UPDATE = `UPDATE top_articles USING TTL ? SET articles = ?, version = ? WHERE ${LIST_KEY} IF version = ?`;

const MARK_DAY = 'INSERT INTO days_written (project, month, day, writer) VALUES (?, ?, ?, ?) USING TTL ?';
const READ_MARKS = 'SELECT day, writer FROM days_written WHERE project = ? AND month = ?';

/** Conflicting merges of one list in a row before a write gives up (another process keeps winning). */
const MAX_LIST_ATTEMPTS = 20;

/** Statements per unlogged batch of one ranking partition: large enough to amortise, small enough to stay under batch size warnings. */
const RANK_BATCH = 50;

/** One INSERT per set of measured cells (a dump line measures one, an event usually nine). */
const hourlyInserts = new Map<string, string>();
function hourlyInsert(columns: readonly string[]): string {
  const id = columns.join(',');
  let cql = hourlyInserts.get(id);
  if (!cql) {
    cql =
      `INSERT INTO per_article_hourly (project, article, day, timestamp, ${columns.join(', ')}) ` +
      `VALUES (?, ?, ?, ?, ${columns.map(() => '?').join(', ')}) USING TTL ?`;
    hourlyInserts.set(id, cql);
  }
  return cql;
}

function cellsOf(row: cassandra.types.Row): HourlyCells {
  const cells: HourlyCells = {};
  for (const c of HOURLY_COLUMNS) {
    const v = row[c] as number | null;
    if (v !== null && v !== undefined) cells[c] = v;
  }
  return cells;
}

function dailyRowOf(row: cassandra.types.Row): DailyRow {
  // AQS: a null column means 0 (this store always writes all sixteen, but rows may come from elsewhere).
  const counts = Object.fromEntries(
    DAILY_COLUMNS.map((c) => [c, (row[c] as number | null) ?? 0]),
  ) as DailyCounts;
  return { timestamp: String(row.timestamp), counts };
}

export interface CassandraPageviewsStoreOptions {
  retention: Retention;
  logger?: Logger;
  /** Rows per page of every multi-row read (default the session's, 1000); tests make it small to cross pages. */
  fetchSize?: number;
}

/** Opens a session on the product keyspace (created and migrated as needed); the store owns and closes it. */
export async function openCassandraPageviewsStore(
  config: SdpConfig,
  options: CassandraPageviewsStoreOptions,
): Promise<PageviewsStore> {
  const session = await openCassandraSession(config, PAGEVIEWS_PRODUCT, PAGEVIEWS_MIGRATIONS, options.logger);
  return createCassandraPageviewsStore(session, options);
}

export function createCassandraPageviewsStore(
  session: CassandraSession,
  options: Pick<CassandraPageviewsStoreOptions, 'retention' | 'fetchSize'>,
): PageviewsStore {
  const { retention } = options;
  const paging = options.fetchSize ? { fetchSize: options.fetchSize } : {};
  let closed = false;
  /** List id → the tail of its merge queue: merges of one list run one at a time in this process. */
  const listQueues = new Map<string, Promise<void>>();

  interface Statement {
    query: string;
    params: unknown[];
  }

  /** Runs statements grouped by partition, as unlogged batches of at most RANK_BATCH. */
  async function writeGrouped(groups: Map<string, Statement[]>): Promise<void> {
    const chunks: Statement[][] = [];
    for (const statements of groups.values()) {
      for (let i = 0; i < statements.length; i += RANK_BATCH)
        chunks.push(statements.slice(i, i + RANK_BATCH));
    }
    await forEachLimit(chunks, CONCURRENCY, async (chunk) => {
      if (chunk.length === 1) await session.execute(chunk[0]!.query, chunk[0]!.params);
      else await session.batch(chunk, { logged: false });
    });
  }

  function push(groups: Map<string, Statement[]>, partition: string, statement: Statement): void {
    let list = groups.get(partition);
    if (!list) groups.set(partition, (list = []));
    list.push(statement);
  }

  /**
   * Phase 2 for one article-day: re-read its hours, write its sums at their
   * newest write time, then sum its month from the daily rows; ranking rows
   * go to `ranks`, list changes to `changes`. With `fresh` (the caller knows
   * nothing else of this article-day, or month, is stored: see
   * WriteHoursOptions.fresh), the sums come from the batch's own hours, at
   * the write time `fresh.at` taken before those hours were written, and the
   * reads are skipped.
   */
  async function recompute(
    project: string,
    title: string,
    day: string,
    now: number,
    ranks: Map<string, Statement[]>,
    changes: TopListChanges,
    fresh?: { hours: HourlyCells[]; at: Long; month: boolean },
  ): Promise<void> {
    const ttl = ttlSeconds(day, retention.dailyDays, now);
    if (ttl === null) return;
    let hours: HourlyCells[] = [];
    let newest: Long | null = null;
    if (fresh) {
      hours = fresh.hours;
      newest = fresh.at;
    } else {
      for await (const rows of session.pages(HOURLY_READ, [project, title, day], paging)) {
        for (const row of rows) {
          hours.push(cellsOf(row));
          for (const c of HOURLY_COLUMNS) {
            const written = row[`writetime(${c})`] as Long | null;
            if (written && (newest === null || written.greaterThan(newest))) newest = written;
          }
        }
      }
    }
    // Nothing stored (the hours expired between the phases): nothing to sum.
    if (newest === null) return;
    const counts = dailyCountsOf(hours);
    const daily = {
      query: DAILY_WRITE,
      params: [project, title, `${day}00`, ...DAILY_COLUMNS.map((c) => counts[c]), ttl, newest],
    };
    // The month read below must see this day's row; a fresh month is not read.
    if (fresh?.month) push(ranks, `a\u0000${project}\u0000${title}`, daily);
    else await session.execute(daily.query, daily.params);
    const bucket = topBucket(title);
    const accesses = rankedAccesses(hours);
    for (const access of accesses) {
      const views = counts[dailyColumn(access, 'user')];
      push(ranks, `d\u0000${project}\u0000${access}\u0000${day}\u0000${bucket}`, {
        query: TOP_WRITE,
        params: [project, access, day, bucket, title, views, ttl, newest],
      });
      changes.add({ project, access, period: day }, title, views, newest.toNumber());
    }

    // The month's sums, from its daily rows (this day's included: written above).
    const month = day.slice(0, 6);
    const monthTtl = ttlSeconds(lastDayOfMonth(month), retention.dailyDays, now);
    if (monthTtl === null) return;
    const sums = new Map<string, number>(
      accesses.map((a) => [a, fresh?.month ? counts[dailyColumn(a, 'user')] : 0]),
    );
    let monthNewest: Long = newest;
    const range = [project, title, `${month}0100`, `${lastDayOfMonth(month)}00`];
    if (!fresh?.month) {
      for await (const rows of session.pages(MONTH_DAYS_READ, range, paging)) {
        for (const row of rows) {
          for (const access of accesses) {
            const views = (row[dailyColumn(access, 'user')] as number | null) ?? 0;
            sums.set(access, sums.get(access)! + views);
          }
          const written = row['writetime(aa)'] as Long | null;
          if (written && written.greaterThan(monthNewest)) monthNewest = written;
        }
      }
    }
    for (const [access, views] of sums) {
      push(ranks, `m\u0000${project}\u0000${access}\u0000${month}\u0000${bucket}`, {
        query: MONTH_TOP_WRITE,
        params: [project, access, month, bucket, title, views, monthTtl, monthNewest],
      });
      changes.add({ project, access, period: month }, title, views, monthNewest.toNumber());
    }
  }

  /** Ranks a list's period from its ranking input: every bucket read whole, through a heap of `limit`. */
  async function rankFromInput(key: TopListKey, limit: number): Promise<TopEntry[]> {
    const ranked = new TopN<TopEntry>(limit);
    if (limit === 0) return [];
    const monthly = key.period.length === 6;
    const buckets = Array.from({ length: TOP_BUCKETS }, (_, b) => b);
    await forEachLimit(buckets, 4, async (bucket) => {
      const params = [key.project, key.access, key.period, bucket];
      for await (const page of session.pages(monthly ? MONTH_TOP_READ : TOP_READ, params, paging)) {
        for (const row of page) {
          const written = row['writetime(views)'] as Long | null;
          ranked.offer({
            title: String(row.article),
            views: Number(row.views ?? 0),
            written: written ? written.toNumber() : 0,
          });
        }
      }
    });
    return ranked.ranked();
  }

  function listParams(key: TopListKey): string[] {
    const { year, month, day } = aqsPeriod(key.period);
    return [key.project, key.access, year, month, day];
  }

  async function readList(key: TopListKey): Promise<{ entries: TopEntry[]; version: unknown } | null> {
    const row = (await session.execute(LIST_READ, listParams(key))).first();
    if (!row) return null;
    return { entries: parseTopList(String(row.articles)), version: row.version };
  }

  /** Merges one list's changes: read, merge (or rebuild), conditional write; again on a conflict. */
  async function mergeList(
    key: TopListKey,
    updates: ReadonlyMap<string, { views: number; written: number }>,
    now: number,
  ): Promise<void> {
    const lastDay = key.period.length === 6 ? lastDayOfMonth(key.period) : key.period;
    const ttl = ttlSeconds(lastDay, retention.dailyDays, now);
    if (ttl === null) return;
    const pk = listParams(key);
    for (let attempt = 0; attempt < MAX_LIST_ATTEMPTS; attempt++) {
      const stored = await readList(key);
      const merged =
        mergeTopList(stored?.entries ?? [], updates) ?? (await rankFromInput(key, TOP_LIST_SIZE));
      const json = serializeTopList(merged);
      const version = cassandra.types.Uuid.random();
      const result = stored
        ? await session.execute(LIST_UPDATE, [ttl, json, version, ...pk, stored.version])
        : await session.execute(LIST_INSERT, [...pk, json, version, ttl]);
      if (result.first()?.['[applied]'] === true) return;
    }
    throw new Error(
      `top list ${pk.join('/')} was changed by other writers ${MAX_LIST_ATTEMPTS} times in a row; write the batch again`,
    );
  }

  async function mergeLists(changes: TopListChanges): Promise<void> {
    const now = Date.now();
    await forEachLimit(changes.lists.values(), CONCURRENCY, async ({ key, updates }) => {
      const id = topListId(key);
      const previous = listQueues.get(id) ?? Promise.resolve();
      const mine = previous.catch(() => undefined).then(() => mergeList(key, updates, now));
      listQueues.set(id, mine);
      try {
        await mine;
      } finally {
        if (listQueues.get(id) === mine) listQueues.delete(id);
      }
    });
  }

  async function listed(key: TopListKey, limit: number): Promise<TopPageRow[]> {
    checkTopLimit(limit);
    if (limit === 0) return [];
    const stored = await readList(key);
    // A day written before the lists existed (migration 2) has its ranking input only: ranked by a scan.
    const entries = stored ? stored.entries.slice(0, limit) : await rankFromInput(key, limit);
    return entries.map(({ title, views }) => ({ title, views }));
  }

  return {
    description: session.description,
    durable: true,

    async writeHours(hours: readonly PageviewHour[], options: WriteHoursOptions = {}): Promise<WriteResult> {
      const now = Date.now();
      // Before any hour is written: fresh sums are stamped no later than their cells.
      const at = cassandra.types.Long.fromNumber(now * 1000);
      const result: WriteResult = { written: 0, expired: 0 };
      const touched = new Map<
        string,
        { project: string; title: string; day: string; hours: HourlyCells[] }
      >();
      const partitions = new Map<string, Statement[]>();
      const marks = new Map<string, unknown[]>();
      for (const h of foldHours(hours)) {
        const day = dayOfHour(h.hour);
        const ttl = ttlSeconds(day, retention.hourlyDays, now);
        if (ttl === null) {
          result.expired++;
          continue;
        }
        const columns = measuredColumns(h.cells);
        const partition = `${h.project}\u0000${h.title}\u0000${day}`;
        // Only measured cells are bound: binding a missing one would write a null over the stored count.
        push(partitions, partition, {
          query: hourlyInsert(columns),
          params: [h.project, h.title, day, h.hour, ...columns.map((c) => h.cells[c]), ttl],
        });
        result.written++;
        let t = touched.get(partition);
        if (!t) touched.set(partition, (t = { project: h.project, title: h.title, day, hours: [] }));
        t.hours.push(h.cells);
        marks.set(`${h.project}\u0000${day}`, [
          h.project,
          day.slice(0, 6),
          day,
          options.writer ?? STREAM_WRITER,
          ttl,
        ]);
      }
      // The days' marks first: a loader that checks them later knows these hours may exist.
      await forEachLimit(marks.values(), CONCURRENCY, async (params) => {
        await session.execute(MARK_DAY, params);
      });
      // One unlogged batch per article-day: one partition, one mutation on its replica.
      await forEachLimit(partitions.values(), CONCURRENCY, async (statements) => {
        if (statements.length === 1) await session.execute(statements[0]!.query, statements[0]!.params);
        else await session.batch(statements, { logged: false });
      });
      // Only after every hour of the batch is written: each day is summed from all of them.
      const ranks = new Map<string, Statement[]>();
      const changes = options.topLists ?? new TopListChanges();
      const fresh = options.fresh;
      await forEachLimit(touched.values(), CONCURRENCY, (t) =>
        recompute(
          t.project,
          t.title,
          t.day,
          now,
          ranks,
          changes,
          fresh?.days.has(`${t.project}\u0000${t.day}`)
            ? { hours: t.hours, at, month: fresh.months.has(`${t.project}\u0000${t.day.slice(0, 6)}`) }
            : undefined,
        ),
      );
      await writeGrouped(ranks);
      if (!options.topLists) await mergeLists(changes);
      return result;
    },

    async writtenDays(project, month) {
      const days = new Map<string, Set<string>>();
      for await (const rows of session.pages(READ_MARKS, [project, month], paging)) {
        for (const row of rows) {
          const day = String(row.day);
          let writers = days.get(day);
          if (!writers) days.set(day, (writers = new Set()));
          writers.add(String(row.writer));
        }
      }
      return days;
    },

    mergeTopLists: mergeLists,

    async hourlyRows(keys) {
      return mapLimit(keys, CONCURRENCY, async (k) => {
        const rows: HourlyRow[] = [];
        // One partition per day: walk the days of the range.
        for (let day = dayOfHour(k.startHour); day <= dayOfHour(k.endHour); day = nextDay(day)) {
          const params = [k.project, k.title, day, k.startHour, k.endHour];
          for await (const page of session.pages(HOURLY_RANGE, params, paging)) {
            for (const row of page) rows.push({ hour: String(row.timestamp), cells: cellsOf(row) });
          }
        }
        return rows;
      });
    },

    async dailyRows(keys) {
      return mapLimit(keys, CONCURRENCY, async (k) => {
        const rows: DailyRow[] = [];
        const params = [k.project, k.title, `${k.startDay}00`, `${k.endDay}00`];
        for await (const page of session.pages(DAILY_RANGE, params, paging)) {
          for (const row of page) rows.push(dailyRowOf(row));
        }
        return rows;
      });
    },

    topPages: (query) =>
      listed({ project: query.project, access: query.access, period: query.day }, query.limit),

    topPagesOfMonth: (query) =>
      listed({ project: query.project, access: query.access, period: query.month }, query.limit),

    async scanTopPages(query) {
      checkTopLimit(query.limit);
      const key = { project: query.project, access: query.access, period: query.day };
      return (await rankFromInput(key, query.limit)).map(({ title, views }) => ({ title, views }));
    },

    async close() {
      if (closed) return;
      closed = true;
      await session.close();
    },
  };
}
