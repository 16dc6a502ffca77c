/**
 * `PageviewsStore` on Cassandra, in AQS's layout (see migrations.ts). Every
 * statement is prepared and routed token-aware by the session
 * (platform/cassandra.ts); reads page through `pageState`.
 *
 * A write batch is two phases:
 *  1. each article-hour is one INSERT of the cells it measured (Cassandra
 *     upserts per cell: cells not bound keep their value), TTL from retention.ts;
 *  2. each article-day touched is re-read (≤ 24 rows, one partition) and its
 *     daily row and top-pages entries (`rankedAccesses`) are written as absolute sums.
 *
 * Daily rows are written `USING TIMESTAMP` = the newest write time among the
 * hourly cells they were summed from. Two recomputations of one day racing
 * (two loader processes, the loader and the stream, or concurrent batches)
 * therefore converge on the one that saw the newer hours, whatever order their
 * writes land in; a tie (both saw the same newest cell) is settled by Cassandra
 * in favour of the larger value, which is the sum over more hours. No
 * read-modify-write of a stored sum, no lightweight transaction, no lock.
 */
import cassandra from 'cassandra-driver';
import type { Logger } from 'pino';
import type { SdpConfig } from '../../../config/env';
import { openCassandraSession, type CassandraSession } from '../../../platform/cassandra';
import { forEachLimit, mapLimit } from '../concurrency';
import {
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
  type WriteResult,
} from '../model';
import { ttlSeconds, type Retention } from '../retention';
import { dayOfHour, nextDay } from '../timestamps';
import { PAGEVIEWS_MIGRATIONS, PAGEVIEWS_PRODUCT, TOP_BUCKETS } from './migrations';
import { checkTopLimit, TopN, type PageviewsStore } from './port';

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
  'SELECT article, views FROM top_daily WHERE project = ? AND access = ? AND day = ? AND bucket = ?';

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

  /** Phase 2 for one article-day: re-read its hours, write its sums at their newest write time. */
  async function recompute(project: string, title: string, day: string, now: number): Promise<void> {
    const ttl = ttlSeconds(day, retention.dailyDays, now);
    if (ttl === null) return;
    const hours: HourlyCells[] = [];
    let newest: Long | null = null;
    for await (const rows of session.pages(HOURLY_READ, [project, title, day], paging)) {
      for (const row of rows) {
        hours.push(cellsOf(row));
        for (const c of HOURLY_COLUMNS) {
          const written = row[`writetime(${c})`] as Long | null;
          if (written && (newest === null || written.greaterThan(newest))) newest = written;
        }
      }
    }
    // Nothing stored (the hours expired between the phases): nothing to sum.
    if (newest === null) return;
    const counts = dailyCountsOf(hours);
    const writes = [
      session.execute(DAILY_WRITE, [
        project,
        title,
        `${day}00`,
        ...DAILY_COLUMNS.map((c) => counts[c]),
        ttl,
        newest,
      ]),
      ...rankedAccesses(hours).map((access) =>
        session.execute(TOP_WRITE, [
          project,
          access,
          day,
          topBucket(title),
          title,
          counts[dailyColumn(access, 'user')],
          ttl,
          newest,
        ]),
      ),
    ];
    await Promise.all(writes);
  }

  return {
    description: session.description,
    durable: true,

    async writeHours(hours: readonly PageviewHour[]): Promise<WriteResult> {
      const now = Date.now();
      const result: WriteResult = { written: 0, expired: 0 };
      const touched = new Map<string, { project: string; title: string; day: string }>();
      const writes: { cql: string; params: unknown[] }[] = [];
      for (const h of foldHours(hours)) {
        const day = dayOfHour(h.hour);
        const ttl = ttlSeconds(day, retention.hourlyDays, now);
        if (ttl === null) {
          result.expired++;
          continue;
        }
        const columns = measuredColumns(h.cells);
        // Only measured cells are bound: binding a missing one would write a null over the stored count.
        writes.push({
          cql: hourlyInsert(columns),
          params: [h.project, h.title, day, h.hour, ...columns.map((c) => h.cells[c]), ttl],
        });
        touched.set(`${h.project}\u0000${h.title}\u0000${day}`, { project: h.project, title: h.title, day });
      }
      await forEachLimit(writes, CONCURRENCY, async (w) => {
        await session.execute(w.cql, w.params);
      });
      result.written = writes.length;
      // Only after every hour of the batch is written: each day is summed from all of them.
      await forEachLimit(touched.values(), CONCURRENCY, (t) => recompute(t.project, t.title, t.day, now));
      return result;
    },

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

    async topPages(query) {
      checkTopLimit(query.limit);
      const ranked = new TopN(query.limit);
      if (query.limit === 0) return [];
      const buckets = Array.from({ length: TOP_BUCKETS }, (_, b) => b);
      // Every bucket is read whole, a page at a time, through a heap of `limit` entries.
      await forEachLimit(buckets, 4, async (bucket) => {
        const params = [query.project, query.access, query.day, bucket];
        for await (const page of session.pages(TOP_READ, params, paging)) {
          for (const row of page) ranked.offer({ title: String(row.article), views: Number(row.views ?? 0) });
        }
      });
      return ranked.ranked();
    },

    async close() {
      if (closed) return;
      closed = true;
      await session.close();
    },
  };
}
