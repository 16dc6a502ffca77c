/**
 * The `mediawiki.page_change.v1` stream's contract, shared by every product that
 * consumes it (pages, users, editstats) and by its producers (`sdp produce`, the
 * demo): the event type (`mediawiki/page/change` 1.x; only the fields products
 * read are typed, the JSON schema in schema/events/ is the full contract), the
 * Kafka key Wikimedia uses, and the domain checks every consumer applies, so
 * the products agree on what the stream carries and none reaches into another's
 * folder for it.
 */

/** What happened to the page: the event's `page_change_kind`. */
export type PageChangeKind = 'create' | 'edit' | 'move' | 'delete' | 'undelete' | 'visibility_change';

export const PAGE_CHANGE_STREAM = 'mediawiki.page_change.v1';
export const PAGE_CHANGE_SCHEMA_TITLE = 'mediawiki/page/change';

interface PageEntity {
  page_id: number;
  page_title: string;
  namespace_id?: number;
  is_redirect?: boolean;
  revision_count?: number;
  redirect_page_link?: {
    page_id?: number;
    page_title?: string;
    namespace_id?: number;
    is_redirect?: boolean;
    interwiki_prefix?: string;
  };
}

export interface UserEntity {
  user_id?: number;
  user_text?: string;
  is_bot?: boolean;
  is_system?: boolean;
  is_temp?: boolean;
  groups?: string[];
  edit_count?: number;
  registration_dt?: string;
}

interface RevisionEntity {
  rev_id: number;
  rev_dt: string;
  rev_parent_id?: number;
  rev_sha1?: string;
  rev_size?: number;
  comment?: string;
  is_minor_edit?: boolean;
  is_comment_visible?: boolean;
  is_content_visible?: boolean;
  is_editor_visible?: boolean;
  editor?: UserEntity;
  content_slots?: Record<string, unknown>;
}

export interface PageChangeEvent {
  $schema: string;
  meta: { stream: string; domain?: string; dt?: string; id?: string; request_id?: string; uri?: string };
  dt: string;
  wiki_id: string;
  changelog_kind: 'insert' | 'update' | 'delete';
  page_change_kind: PageChangeKind;
  comment?: string;
  page: PageEntity;
  revision: RevisionEntity;
  performer?: UserEntity;
  created_redirect_page?: PageEntity;
  prior_state?: { page?: Partial<PageEntity>; revision?: Partial<RevisionEntity> };
}

/**
 * What the stores can hold (MariaDB column sizes; MediaWiki's own limits are the
 * same or smaller). An event beyond them is dead-lettered instead of failing its
 * batch forever.
 */
export const LIMITS = {
  wikiIdChars: 64,
  titleChars: 255,
  userNameChars: 255,
  sha1Chars: 64,
  commentBytes: 65535,
} as const;

/** Why an otherwise schema-valid event cannot be stored, or null when it can. */
export function pageChangeInvalidReason(event: PageChangeEvent): string | null {
  const tooLong = (what: string, value: string | undefined, max: number) =>
    value !== undefined && [...value].length > max ? `${what} is longer than ${max} characters` : null;
  const rev = event.revision;
  return (
    tooLong('wiki_id', event.wiki_id, LIMITS.wikiIdChars) ??
    tooLong('/page/page_title', event.page.page_title, LIMITS.titleChars) ??
    tooLong(
      '/page/redirect_page_link/page_title',
      event.page.redirect_page_link?.page_title,
      LIMITS.titleChars,
    ) ??
    tooLong('/revision/editor/user_text', rev.editor?.user_text, LIMITS.userNameChars) ??
    tooLong('/revision/rev_sha1', rev.rev_sha1, LIMITS.sha1Chars) ??
    (rev.comment !== undefined && Buffer.byteLength(rev.comment) > LIMITS.commentBytes
      ? `/revision/comment is longer than ${LIMITS.commentBytes} bytes`
      : null)
  );
}

/** The changelog action each page change kind maps to, as MediaWiki's EventBus sets it. */
export const CHANGELOG_KIND: Record<PageChangeKind, PageChangeEvent['changelog_kind']> = {
  create: 'insert',
  undelete: 'insert',
  edit: 'update',
  move: 'update',
  visibility_change: 'update',
  delete: 'delete',
};

/** Wikimedia's Kafka message key for page_change: `{wiki_id, page_id}`. */
export function pageChangeKey(event: PageChangeEvent): { wiki_id: string; page_id: number } {
  return { wiki_id: event.wiki_id, page_id: event.page.page_id };
}

/**
 * Microseconds since the epoch of an ISO-8601 date-time. Event Platform
 * timestamps may carry up to nanosecond digits (`2021-01-01T00:00:00.123456Z`);
 * `Date.parse` keeps only milliseconds, so the extra digits are added here to keep
 * two events of the same millisecond ordered.
 */
export function isoToMicros(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 date-time: ${iso}`);
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const micros = Number(fraction.padEnd(6, '0').slice(3, 6));
  return ms * 1000 + micros;
}

/** Normalises an ISO-8601 date-time to `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC). */
export function normaliseIso(iso: string): string {
  return new Date(Date.parse(iso)).toISOString();
}
