/**
 * The `editstats` store port. Adapters: `cassandra.ts` (a real cluster) and
 * `embedded.ts` (in-process, no server). `test/editstats/store.contract.test.ts`
 * runs one suite against both.
 *
 * Writes follow `rollup.ts`: edit rows are absolute-value upserts and every
 * roll-up a batch touches is recomputed whole, so applying a batch again
 * (redelivery, replay) leaves every row as it was.
 */
import type { ProductStore } from '../../../platform/product';
import type {
  DailyEditCounts,
  EditRecord,
  PageDayCounts,
  PageStatsQuery,
  TopPagesQuery,
  WikiStatsQuery,
} from '../model';

export interface EditStatsStore extends ProductStore {
  /**
   * Stores the edits (idempotently, any order) and recomputes the roll-ups of
   * every page-day, wiki-day bucket and wiki-day they touch. Resolves only when all of that is
   * written; a rejected call can be retried with the same edits.
   */
  applyEdits(edits: readonly EditRecord[]): Promise<void>;

  /** Daily series of several pages (positional: element i answers query i); days without edits are left out. */
  pageDailyStats(queries: readonly PageStatsQuery[]): Promise<DailyEditCounts[][]>;

  /** Daily series of a wiki, ascending days; days without edits are left out. */
  wikiDailyStats(query: WikiStatsQuery): Promise<DailyEditCounts[]>;

  /** The most edited pages of a wiki-day, best first (most edits, then lowest page id), at most `limit`. */
  topEditedPages(query: TopPagesQuery): Promise<PageDayCounts[]>;

  /** Removes every edit and roll-up, keeping the schema: the first step of `sdp rebuild`. */
  reset(): Promise<void>;
}
