/**
 * The `editstats` product's data, independent of any store.
 *
 * Every counted page_change event becomes one `EditRecord` (see `rollup.ts`):
 * the per-revision fact the daily roll-ups are recomputed from. Days are UTC
 * calendar days written `YYYYMMDD`; the API shows them AQS-style as
 * `YYYYMMDD00`.
 */

/** Who made an edit; see `editorKind()` in rollup.ts for the rules. */
export type EditorKind = 'registered' | 'anonymous' | 'bot';

export const EDITOR_KINDS: readonly EditorKind[] = ['registered', 'anonymous', 'bot'];

/** One counted edit: the revision a `create` or `edit` page change saved. Immutable once MediaWiki emits it. */
export interface EditRecord {
  wikiId: string;
  pageId: number;
  revId: number;
  /** UTC day of the revision's `rev_dt`, `YYYYMMDD`. */
  day: string;
  editorKind: EditorKind;
  /** Size change in bytes against the parent revision (a page's first revision: its whole size). */
  netBytes: number;
}

/** Edit counts of some set of edits (a page-day, a wiki-day). `edits` is the sum of the three kinds. */
export interface EditCounts {
  edits: number;
  registeredEdits: number;
  anonymousEdits: number;
  botEdits: number;
  netBytes: number;
}

/** One day of a page's or a wiki's series. */
export interface DailyEditCounts extends EditCounts {
  /** `YYYYMMDD`. */
  day: string;
}

/** One page's counts on one day, as the top-edited-pages list ranks them. */
export interface PageDayCounts extends EditCounts {
  pageId: number;
}

/** A page's daily series over an inclusive day range. */
export interface PageStatsQuery {
  wikiId: string;
  pageId: number;
  /** `YYYYMMDD`, inclusive. */
  startDay: string;
  /** `YYYYMMDD`, inclusive. */
  endDay: string;
}

/** A wiki's daily series over an inclusive day range. */
export interface WikiStatsQuery {
  wikiId: string;
  startDay: string;
  endDay: string;
}

/** The `limit` most edited pages of a wiki on one day. */
export interface TopPagesQuery {
  wikiId: string;
  day: string;
  limit: number;
}
