/**
 * `EditStatsStore` in process memory, for running without a Cassandra. State
 * dies with the process (`durable: false`), so the platform replays the stream.
 *
 * The same four tables as the Cassandra adapter, as maps, and the same
 * recompute-from-rows rules of `rollup.ts`, level by level up the same bucket
 * tree, so a snapshot of either holds the same rows. One `applyEdits` runs
 * without yielding to the event loop, so batches of different partitions never
 * interleave here and the write-timestamp ordering Cassandra needs is moot.
 */
import type {
  DailyEditCounts,
  EditCounts,
  EditorKind,
  EditRecord,
  PageDayCounts,
  PageStatsQuery,
  TopPagesQuery,
  WikiStatsQuery,
} from '../model';
import {
  addCounts,
  BucketTally,
  dailyPoint,
  pageBucket,
  touchedRollups,
  zeroCounts,
  type BucketCounts,
} from '../rollup';
import { TopPages } from '../top';
import type { EditStatsStore } from './port';

type EditRow = { pageId: number; editorKind: EditorKind; netBytes: number };

/** Every row of every table, one sorted string per row: for comparing states in tests. */
export interface EditStatsSnapshot {
  edits: string[];
  pageDaily: string[];
  buckets: string[];
  wikiDaily: string[];
}

const k = (...parts: (string | number)[]) => parts.join('\u0000');

function countsText(c: EditCounts): string {
  return `${c.edits}/${c.registeredEdits}/${c.anonymousEdits}/${c.botEdits}/${c.netBytes}`;
}

function inRange(day: string, startDay: string, endDay: string): boolean {
  return day >= startDay && day <= endDay;
}

export class EmbeddedEditStatsStore implements EditStatsStore {
  readonly description = 'embedded (in-process memory, not durable)';
  readonly durable = false;
  /** (wiki, day, bucket) → (page id, rev id) → edit. */
  private readonly edits = new Map<string, Map<string, EditRow>>();
  /** (wiki, page) → day → counts. */
  private readonly pageDaily = new Map<string, Map<string, EditCounts>>();
  /** (wiki, day) → bucket → counts. */
  private readonly buckets = new Map<string, Map<number, BucketCounts>>();
  /** wiki → day → counts. */
  private readonly wikiDaily = new Map<string, Map<string, EditCounts>>();

  async applyEdits(edits: readonly EditRecord[]): Promise<void> {
    for (const e of edits) {
      const key = k(e.wikiId, e.day, pageBucket(e.pageId));
      let rows = this.edits.get(key);
      if (!rows) this.edits.set(key, (rows = new Map()));
      rows.set(k(e.pageId, e.revId), { pageId: e.pageId, editorKind: e.editorKind, netBytes: e.netBytes });
    }
    const touched = touchedRollups(edits);
    for (const { wikiId, day, bucket, pageDays } of touched.buckets) {
      const tally = this.tally(wikiId, day, bucket);
      for (const { pageId } of pageDays) {
        let series = this.pageDaily.get(k(wikiId, pageId));
        if (!series) this.pageDaily.set(k(wikiId, pageId), (series = new Map()));
        series.set(day, tally.page(pageId));
      }
      let dayBuckets = this.buckets.get(k(wikiId, day));
      if (!dayBuckets) this.buckets.set(k(wikiId, day), (dayBuckets = new Map()));
      dayBuckets.set(bucket, tally.sum());
    }
    for (const { wikiId, day } of touched.wikiDays) {
      const counts = zeroCounts();
      for (const bucket of this.buckets.get(k(wikiId, day))!.values()) addCounts(counts, bucket);
      let series = this.wikiDaily.get(wikiId);
      if (!series) this.wikiDaily.set(wikiId, (series = new Map()));
      series.set(day, counts);
    }
  }

  async pageDailyStats(queries: readonly PageStatsQuery[]): Promise<DailyEditCounts[][]> {
    return queries.map((q) => this.series(this.pageDaily.get(k(q.wikiId, q.pageId)), q.startDay, q.endDay));
  }

  async wikiDailyStats(query: WikiStatsQuery): Promise<DailyEditCounts[]> {
    return this.series(this.wikiDaily.get(query.wikiId), query.startDay, query.endDay);
  }

  async topEditedPages(query: TopPagesQuery): Promise<PageDayCounts[]> {
    const top = new TopPages(query.limit);
    for (const bucket of this.buckets.get(k(query.wikiId, query.day))?.keys() ?? []) {
      for (const [pageId, counts] of this.tally(query.wikiId, query.day, bucket).pages) {
        top.offer({ pageId, ...counts });
      }
    }
    return top.result();
  }

  async reset(): Promise<void> {
    this.edits.clear();
    this.pageDaily.clear();
    this.buckets.clear();
    this.wikiDaily.clear();
  }

  async close(): Promise<void> {}

  /** Every row, for tests that check a redelivery changed nothing. */
  snapshot(): EditStatsSnapshot {
    const rows = <K, V>(map: Map<string, Map<K, V>>, text: (v: V) => string) =>
      [...map]
        .flatMap(([outer, inner]) => [...inner].map(([key, v]) => `${outer}\u0000${String(key)}=${text(v)}`))
        .sort();
    return {
      edits: rows(this.edits, (e) => `${e.editorKind}/${e.netBytes}`),
      pageDaily: rows(this.pageDaily, countsText),
      buckets: rows(this.buckets, (b) => `${countsText(b)}/${b.topPageEdits}`),
      wikiDaily: rows(this.wikiDaily, countsText),
    };
  }

  private tally(wikiId: string, day: string, bucket: number): BucketTally {
    const tally = new BucketTally();
    for (const row of this.edits.get(k(wikiId, day, bucket))?.values() ?? []) tally.add(row.pageId, row);
    return tally;
  }

  private series(
    byDay: Map<string, EditCounts> | undefined,
    startDay: string,
    endDay: string,
  ): DailyEditCounts[] {
    return [...(byDay ?? [])]
      .filter(([day]) => inRange(day, startDay, endDay))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([day, counts]) => dailyPoint(day, counts));
  }
}

export function createEmbeddedEditStatsStore(): EmbeddedEditStatsStore {
  return new EmbeddedEditStatsStore();
}
