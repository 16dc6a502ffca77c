/**
 * `EditStatsStore` on Cassandra. The rules are `rollup.ts`; this file turns
 * them into prepared CQL on the product's session (token-aware routing, the
 * configured consistency, paged reads: platform/cassandra.ts). A batch's edits
 * go up the roll-up tree one level after another, each level written before
 * the next one up is read:
 *  1. per touched bucket (buckets do not wait for each other): its new edit
 *     rows upserted into `wiki_day_bucket_edits` (same-partition unlogged
 *     batches), then all its edit rows read and counted per page, each touched
 *     page-day's counts written to `page_daily`;
 *  2. once every bucket is counted: the bucket roll-ups written to
 *     `wiki_day_buckets`, same-partition unlogged batches per wiki-day;
 *  3. each touched wiki-day: its bucket rows read and summed into `wiki_daily`.
 * At most IN_FLIGHT statements of a batch run at once, whatever its shape. A
 * failure anywhere stops new statements and rejects the batch once the ones in
 * flight have settled; it is redelivered and recomputes the same values.
 *
 * Roll-up writes carry `USING TIMESTAMP <edits counted>` so that, when writers
 * race, the most complete recompute wins (see rollup.ts).
 */
import cassandra from 'cassandra-driver';
import type { Logger } from 'pino';
import type { SdpConfig } from '../../../config/env';
import { openCassandraSession, type CassandraSession } from '../../../platform/cassandra';
import {
  EDITOR_KINDS,
  type DailyEditCounts,
  type EditCounts,
  type EditorKind,
  type EditRecord,
  type PageDayCounts,
  type PageStatsQuery,
  type TopPagesQuery,
  type WikiStatsQuery,
} from '../model';
import {
  addCounts,
  BucketTally,
  dailyPoint,
  rollupVersion,
  touchedRollups,
  zeroCounts,
  type BucketCounts,
  type TouchedBucket,
} from '../rollup';
import { TopPages } from '../top';
import { EDITSTATS_MIGRATIONS, EDITSTATS_PRODUCT, EDITSTATS_TABLES } from './migrations';
import type { EditStatsStore } from './port';

/** Statements in flight at once (per batch of edits, per read): enough to hide round trips, few enough not to flood a node. */
export const IN_FLIGHT = 32;

/** Rows per unlogged batch: keeps a batch far below Cassandra's batch size warning and failure limits. */
export const BATCH_ROWS = 50;

const COUNTS = 'edits, registered_edits, anonymous_edits, bot_edits, net_bytes';

const INSERT_EDIT =
  'INSERT INTO wiki_day_bucket_edits (wiki_id, day, bucket, page_id, rev_id, editor_kind, net_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)';
const SELECT_BUCKET_EDITS =
  'SELECT page_id, editor_kind, net_bytes FROM wiki_day_bucket_edits WHERE wiki_id = ? AND day = ? AND bucket = ?';
const UPSERT_PAGE_DAILY = `INSERT INTO page_daily (wiki_id, page_id, day, ${COUNTS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
const UPSERT_BUCKET = `INSERT INTO wiki_day_buckets (wiki_id, day, bucket, ${COUNTS}, top_page_edits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
const SELECT_BUCKETS = `SELECT ${COUNTS} FROM wiki_day_buckets WHERE wiki_id = ? AND day = ?`;
const SELECT_BUCKET_TOPS =
  'SELECT bucket, top_page_edits FROM wiki_day_buckets WHERE wiki_id = ? AND day = ?';
const UPSERT_WIKI_DAILY = `INSERT INTO wiki_daily (wiki_id, day, ${COUNTS}) VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
const SELECT_PAGE_DAILY = `SELECT day, ${COUNTS} FROM page_daily WHERE wiki_id = ? AND page_id = ? AND day >= ? AND day <= ?`;
const SELECT_WIKI_DAILY = `SELECT day, ${COUNTS} FROM wiki_daily WHERE wiki_id = ? AND day >= ? AND day <= ?`;

type Row = cassandra.types.Row;

/** A bigint column (a driver `Long`) as a number; every value here is far inside ±2^53. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof cassandra.types.Long) return value.toNumber();
  throw new TypeError(`expected a bigint column, got ${JSON.stringify(value)}`);
}

function toEditorKind(value: unknown): EditorKind {
  if (EDITOR_KINDS.includes(value as EditorKind)) return value as EditorKind;
  throw new TypeError(
    `wiki_day_bucket_edits.editor_kind holds ${JSON.stringify(value)}, not one of ${EDITOR_KINDS.join('|')}`,
  );
}

function countsOf(row: Row): EditCounts {
  return {
    edits: toNumber(row.edits),
    registeredEdits: toNumber(row.registered_edits),
    anonymousEdits: toNumber(row.anonymous_edits),
    botEdits: toNumber(row.bot_edits),
    netBytes: toNumber(row.net_bytes),
  };
}

function countParams(c: EditCounts): number[] {
  return [c.edits, c.registeredEdits, c.anonymousEdits, c.botEdits, c.netBytes];
}

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure once the rest have settled. */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The statements of one `applyEdits`: at most `limit` in flight, however the
 * work nests (buckets → page-days → statements). After the first failure no
 * new statement starts; `all` rejects with that failure once everything it
 * waits for has settled, so a retried batch never races the attempt it
 * replaces.
 */
class StatementLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private failure: { err: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Runs `fn` (one statement, or one paged read) when a slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    // A finishing call hands its slot straight to the first waiter.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      if (this.failure) throw this.failure.err;
      return await fn();
    } catch (err) {
      this.failure ??= { err };
      throw err;
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  async all<T>(work: Promise<T>[]): Promise<T[]> {
    const settled = await Promise.allSettled(work);
    if (this.failure) throw this.failure.err;
    return settled.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    });
  }
}

export class CassandraEditStatsStore implements EditStatsStore {
  readonly durable = true;
  readonly description: string;

  constructor(private readonly session: CassandraSession) {
    this.description = session.description;
  }

  async applyEdits(edits: readonly EditRecord[]): Promise<void> {
    if (edits.length === 0) return;
    const touched = touchedRollups(edits);
    const limiter = new StatementLimiter(IN_FLIGHT);
    const sums = await limiter.all(touched.buckets.map((b) => this.recomputeBucket(limiter, b)));
    // Each wiki-day's bucket rows are one partition: written in a few batches, not a statement each.
    const byWikiDay = new Map<string, { query: string; params: unknown[] }[]>();
    for (const [i, b] of touched.buckets.entries()) {
      const sum = sums[i]!;
      const key = `${b.wikiId}\u0000${b.day}`;
      const rows = byWikiDay.get(key) ?? [];
      rows.push({
        query: UPSERT_BUCKET,
        params: [b.wikiId, b.day, b.bucket, ...countParams(sum), sum.topPageEdits, rollupVersion(sum)],
      });
      byWikiDay.set(key, rows);
    }
    await limiter.all(
      [...byWikiDay.values()]
        .flatMap((rows) => chunks(rows, BATCH_ROWS))
        .map((batch) => limiter.run(() => this.writeRows(batch))),
    );
    await limiter.all(
      touched.wikiDays.map((wd) => limiter.run(() => this.recomputeWikiDay(wd.wikiId, wd.day))),
    );
  }

  async pageDailyStats(queries: readonly PageStatsQuery[]): Promise<DailyEditCounts[][]> {
    const results: DailyEditCounts[][] = queries.map(() => []);
    await forEachLimit([...queries.keys()], IN_FLIGHT, async (i) => {
      const q = queries[i]!;
      results[i] = await this.series(SELECT_PAGE_DAILY, [q.wikiId, q.pageId, q.startDay, q.endDay]);
    });
    return results;
  }

  wikiDailyStats(query: WikiStatsQuery): Promise<DailyEditCounts[]> {
    return this.series(SELECT_WIKI_DAILY, [query.wikiId, query.startDay, query.endDay]);
  }

  async topEditedPages(query: TopPagesQuery): Promise<PageDayCounts[]> {
    const top = new TopPages(query.limit);
    if (query.limit === 0) return [];
    const { wikiId, day } = query;
    const buckets: { bucket: number; topPageEdits: number }[] = [];
    for await (const rows of this.session.pages(SELECT_BUCKET_TOPS, [wikiId, day])) {
      for (const row of rows) {
        buckets.push({ bucket: Number(row.bucket), topPageEdits: toNumber(row.top_page_edits) });
      }
    }
    // Busiest buckets first: once the list is full, a bucket whose busiest page
    // has fewer edits than the worst kept page (and every bucket after it) is
    // skipped. (While a batch is being applied, a bucket's row can lag its edit
    // rows by that batch, as every roll-up lags until it is recomputed.)
    buckets.sort((a, b) => b.topPageEdits - a.topPageEdits || a.bucket - b.bucket);
    let next = 0;
    while (next < buckets.length && top.couldKeep(buckets[next]!.topPageEdits)) {
      const wave: number[] = [];
      while (next < buckets.length && wave.length < IN_FLIGHT && top.couldKeep(buckets[next]!.topPageEdits)) {
        wave.push(buckets[next++]!.bucket);
      }
      const tallies = await Promise.all(wave.map((bucket) => this.tallyBucket(wikiId, day, bucket)));
      for (const tally of tallies)
        for (const [pageId, counts] of tally.pages) top.offer({ pageId, ...counts });
    }
    return top.result();
  }

  async reset(): Promise<void> {
    // TRUNCATE, never DELETE: see migrations.ts.
    for (const table of EDITSTATS_TABLES)
      await this.session.execute(`TRUNCATE ${table}`, [], { prepare: false });
  }

  close(): Promise<void> {
    return this.session.close();
  }

  /** Step 1 of the header for one bucket; returns the bucket's roll-up (step 2 writes it). */
  private async recomputeBucket(limiter: StatementLimiter, b: TouchedBucket): Promise<BucketCounts> {
    const { wikiId, day, bucket } = b;
    const edits = b.pageDays.flatMap((pd) => pd.edits);
    await limiter.all(
      chunks(edits, BATCH_ROWS).map((list) =>
        limiter.run(() =>
          this.writeRows(
            list.map((e) => ({
              query: INSERT_EDIT,
              params: [wikiId, day, bucket, e.pageId, e.revId, e.editorKind, e.netBytes],
            })),
          ),
        ),
      ),
    );
    const tally = await limiter.run(() => this.tallyBucket(wikiId, day, bucket));
    await limiter.all(
      b.pageDays.map(({ pageId }) => {
        const counts = tally.page(pageId);
        const params = [wikiId, pageId, day, ...countParams(counts), rollupVersion(counts)];
        return limiter.run(() => this.session.execute(UPSERT_PAGE_DAILY, params));
      }),
    );
    return tally.sum();
  }

  /**
   * Rows of one partition: an unlogged batch (one mutation, one round trip), or
   * a plain statement for a single row, where a batch would only add its own overhead.
   */
  private async writeRows(rows: { query: string; params: unknown[] }[]): Promise<void> {
    if (rows.length === 1) await this.session.execute(rows[0]!.query, rows[0]!.params);
    else await this.session.batch(rows, { logged: false });
  }

  /** Every edit of one bucket of a wiki-day (~1/BUCKETS of the day's edits), counted per page. */
  private async tallyBucket(wikiId: string, day: string, bucket: number): Promise<BucketTally> {
    const tally = new BucketTally();
    for await (const rows of this.session.pages(SELECT_BUCKET_EDITS, [wikiId, day, bucket])) {
      for (const row of rows) {
        tally.add(toNumber(row.page_id), {
          editorKind: toEditorKind(row.editor_kind),
          netBytes: toNumber(row.net_bytes),
        });
      }
    }
    return tally;
  }

  private async recomputeWikiDay(wikiId: string, day: string): Promise<void> {
    const counts = zeroCounts();
    for await (const rows of this.session.pages(SELECT_BUCKETS, [wikiId, day])) {
      for (const row of rows) addCounts(counts, countsOf(row));
    }
    await this.session.execute(UPSERT_WIKI_DAILY, [
      wikiId,
      day,
      ...countParams(counts),
      rollupVersion(counts),
    ]);
  }

  private async series(cql: string, params: unknown[]): Promise<DailyEditCounts[]> {
    const points: DailyEditCounts[] = [];
    for await (const rows of this.session.pages(cql, params)) {
      for (const row of rows) points.push(dailyPoint(String(row.day), countsOf(row)));
    }
    return points;
  }
}

export async function openCassandraEditStatsStore(
  config: SdpConfig,
  logger?: Logger,
): Promise<CassandraEditStatsStore> {
  const session = await openCassandraSession(config, EDITSTATS_PRODUCT, EDITSTATS_MIGRATIONS, logger);
  return new CassandraEditStatsStore(session);
}
