/**
 * The `pages` product's state, independent of any store.
 *
 * Every page_change event becomes one `PageChange` (see `events.ts`); a store
 * folds changes into `PageRecord` and `RevisionRecord` rows with the rules in
 * `state.ts`. Both adapters follow those rules and one contract suite checks it.
 */
import type { PageChangeKind } from '../../streams/contracts/page-change';

/** Version of a page's state: event time, then revision id to order events of the same instant. */
export interface StateVersion {
  /** Event `dt` in microseconds since the epoch (event times carry sub-millisecond digits). */
  dtUs: number;
  revId: number;
}

export interface PageKey {
  wikiId: string;
  pageId: number;
}

export interface PageTitleKey {
  wikiId: string;
  namespace: number;
  title: string;
}

export interface RevisionKey {
  wikiId: string;
  revId: number;
}

export interface PageRecord {
  wikiId: string;
  pageId: number;
  namespace: number;
  title: string;
  isRedirect: boolean;
  /** Where the redirect points, as the event named it (the target page may be unknown here). */
  redirectNamespace: number | null;
  redirectTitle: string | null;
  /** Highest revision id seen in a non-visibility event: MediaWiki revision ids only grow. */
  latestRevId: number | null;
  /** Deleted pages stay as tombstones (history kept) but are hidden from queries. */
  isDeleted: boolean;
  /** Version of namespace/title/redirect/isDeleted. */
  version: StateVersion;
}

export interface RevisionRecord {
  wikiId: string;
  revId: number;
  pageId: number;
  parentRevId: number | null;
  /** `rev_dt`, ISO-8601 UTC with millisecond precision. */
  timestamp: string;
  sizeBytes: number | null;
  sha1: string | null;
  isMinorEdit: boolean;
  /** Stored as last known even while hidden; the API masks it by the visibility flags. */
  comment: string | null;
  editorName: string | null;
  editorId: number | null;
  isCommentVisible: boolean;
  isContentVisible: boolean;
  isEditorVisible: boolean;
  /** Event time (µs) of the newest event that set the visibility flags. */
  visibilityDtUs: number;
}

/** One event, normalised: the page state it asserts and the revision it carries. */
export interface PageChange {
  kind: PageChangeKind;
  page: PageRecord;
  revision: RevisionRecord;
}

/** Keyset pagination over a wiki's pages, ascending page id. */
export interface ListPagesQuery {
  wikiId: string;
  namespace?: number | null;
  afterPageId?: number | null;
  limit: number;
}

/** Keyset pagination over a page's revisions, descending revision id (newest first). */
export interface ListRevisionsQuery {
  wikiId: string;
  pageId: number;
  beforeRevId?: number | null;
  limit: number;
}
