/**
 * The `pages` store port. Adapters: `mariadb.ts` (mysql2 pool) and `embedded.ts`
 * (in-process, no server). `test/pages/store.contract.test.ts` runs one suite
 * against both.
 *
 * Reads are keyed and batched (one call, many keys, one round trip) because the
 * resolvers reach them through DataLoaders; results are positional: element i
 * answers key i, null when absent.
 */
import type {
  ListPagesQuery,
  ListRevisionsQuery,
  PageChange,
  PageKey,
  PageRecord,
  PageTitleKey,
  RevisionKey,
  RevisionRecord,
} from '../model';

export interface PagesStore {
  /** Human-readable, for start-up logs, e.g. `mariadb 127.0.0.1:3306/test`. */
  readonly description: string;

  /**
   * True when the state outlives the process (MariaDB). The platform replays an
   * embedded (non-durable) store's streams from the start of the log on every
   * start instead of from the committed offsets, which would skip the events
   * whose state died with the last process.
   */
  readonly durable: boolean;

  /**
   * Folds changes, in the given order, with the rules of `state.ts`. One call is
   * one batch: adapters write it with a bounded number of round trips, not one
   * per change, and atomically (all or nothing), so a failed batch can be retried.
   */
  applyChanges(changes: readonly PageChange[]): Promise<void>;

  /** Pages by id, including tombstones (callers decide visibility). */
  pagesById(keys: readonly PageKey[]): Promise<(PageRecord | null)[]>;

  /**
   * Pages by current title. Only live pages (not deleted); if out-of-order history
   * left two live rows with one title, the one with the newest version wins.
   */
  pagesByTitle(keys: readonly PageTitleKey[]): Promise<(PageRecord | null)[]>;

  /** Revisions by id, whatever their page's state. */
  revisionsById(keys: readonly RevisionKey[]): Promise<(RevisionRecord | null)[]>;

  /** Live pages of a wiki with pageId > afterPageId, ascending page id, at most `limit`. */
  listPages(query: ListPagesQuery): Promise<PageRecord[]>;

  /** Revisions of a page with revId < beforeRevId, descending revision id, at most `limit`. */
  listRevisions(query: ListRevisionsQuery): Promise<RevisionRecord[]>;

  close(): Promise<void>;
}

/** The `limit` of a list query, checked the same way by every adapter. */
export function checkListLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  }
}
