/**
 * How page_change events become edit statistics, and why the numbers stay
 * exact when events are delivered more than once. Both store adapters follow
 * these rules (the embedded one by calling these functions, the Cassandra one
 * with the same functions around its reads and writes), and one contract suite
 * checks both against the same shuffled and duplicated histories.
 *
 * What counts
 *  - An edit is a saved revision: `create` and `edit` page changes, one per
 *    `rev_id`. `move` (its revision is the null revision MediaWiki adds to log
 *    the move: no content change), `delete`, `undelete` (they hide or restore
 *    revisions already counted when they were saved) and `visibility_change`
 *    (which names an old revision) do not count. A later deletion does not
 *    un-count a page's edits: these are statistics of editing activity, not of
 *    what is visible now.
 *  - The day is the UTC day of `rev_dt` (when the revision was saved), not of
 *    the event's `dt`.
 *  - Editor kind (the revision's `editor`, else the event's `performer`): `bot`
 *    when `is_bot` or the `bot` group; `anonymous` when there is no `user_id`
 *    (an IP editor, or an editor the event does not name) or when the account
 *    is a temporary one (`is_temp`: under IP masking, temporary accounts are
 *    what IP editors become, so counting them as registered would make
 *    anonymous editing vanish from a wiki the day it turns masking on);
 *    `registered` otherwise.
 *  - Net bytes: `rev_size` minus the parent's size, which page_change carries
 *    in `prior_state.revision.rev_size`; a page's first revision (a `create`,
 *    or no parent) counts its whole size. An edit whose event carries no
 *    parent size counts 0 bytes (still one edit): the event is the only source,
 *    so the result cannot depend on which other events arrived first.
 *
 * Exactness under redelivery (at-least-once delivery, replays, rebuilds)
 *  Counter columns would count a redelivered event twice. Instead every
 *  roll-up is a sum recomputed whole from the level below and written as
 *  absolute values, over a fixed tree per wiki-day:
 *
 *    edit rows ─┬─▶ page-day (a page's series)
 *               └─▶ bucket (BUCKETS per wiki-day) ─▶ wiki-day
 *
 *  1. Each edit is stored as a row keyed by (wiki, day, bucket, page, rev_id),
 *     where bucket is `pageBucket(page)`, holding its kind and net bytes: an
 *     absolute-value upsert, so writing it again changes nothing.
 *  2. For every (wiki, day, bucket) a batch touched, that bucket's edit rows
 *     (one partition: every edit that day of the pages hashed to it) are read
 *     and counted per page. Each touched page-day's counts are written to the
 *     page's series; the bucket's sum, with the most edits any one page has,
 *     is the bucket roll-up.
 *  3. For every (wiki, day) a batch touched, the wiki-day roll-up is
 *     recomputed from that day's bucket roll-ups.
 *  A redelivered batch therefore rewrites the same values: every count and
 *  every row is unchanged, whatever the order, duplication or batching.
 *
 *  Concurrent writers (several partitions of one wiki, a consumer that lost
 *  its partition but has not noticed yet) recompute the same roll-ups at once,
 *  and the last write is not necessarily the one that saw the most. So every
 *  roll-up write carries, as its Cassandra write timestamp, how many edits it
 *  was computed from (`rollupVersion`), and Cassandra keeps the write with the
 *  highest timestamp. Level by level: edit rows are only ever added and every
 *  roll-up only grows, so a recompute that saw more edits saw a later state.
 *  Each writer writes a level before it reads the next one up (its edit rows
 *  before their bucket, its bucket rows before their day); of the writers
 *  that touched a roll-up, the one that reads it last reads after every other
 *  writer's writes below it were acknowledged, so it sees every final value
 *  below (by induction, starting from the edit rows), writes the exact sum, and
 *  that sum has the most edits, so nothing can overwrite it. This needs reads
 *  that see acknowledged writes (R + W > replication factor: LOCAL_QUORUM, the
 *  default, or ONE with one replica), and roll-up rows must only ever be
 *  removed by TRUNCATE (`reset`), never by DELETE, whose tombstone would
 *  out-rank these small timestamps.
 *
 * Why buckets, and why BUCKETS is 4096
 *  Summing a wiki-day straight from its page roll-ups costs a read of every
 *  page edited that day (~100k rows on a busy English Wikipedia day) per batch,
 *  O(n²) over a day. With buckets a batch reads only the buckets its pages fall
 *  in (each about 1/BUCKETS of the day's edits) and one row per non-empty
 *  bucket of the day, so its cost stops growing with the day. A batch of B
 *  page-days touches about min(B, BUCKETS) buckets, so BUCKETS must be well
 *  above a batch's page count to help at all: with 64 buckets a 500-edit batch
 *  touches nearly all 64 and reads the whole day again. Rows read per batch
 *  are about B·e/BUCKETS (e: the day's edits) + min(pages, BUCKETS); 4096
 *  keeps both small at English Wikipedia's ~200k edits on ~100k pages a day
 *  (~50 rows a bucket, 4096 bucket rows) and batches of hundreds. Keeping the
 *  edit rows in the bucket's partition, not the page's, is what makes one
 *  read per bucket serve both its page-days and its own sum. `pageBucket` and
 *  BUCKETS decide where rows are stored: changing either needs a new table
 *  and a rebuild.
 *
 * Cost
 *  Per batch, for each touched bucket: one upsert of its new edit rows (a
 *  same-partition unlogged batch), one read of its edit rows, one write per
 *  touched page-day; then one write per 50 touched buckets of a day (a
 *  same-partition unlogged batch); then per touched wiki-day one read of at
 *  most BUCKETS rows and one write. About three statements per touched
 *  page-day, whatever the size of the day. A page edited very often in a day
 *  (a bot's log page) makes its bucket's read as long as its own edits, as
 *  any exact recompute of that page-day would. Reads of the API: page and wiki
 *  series are single-partition slices; a day's top list reads the bucket rows,
 *  then the edit rows of the buckets whose busiest page could still enter the
 *  list, busiest first.
 */
import type { PageChangeEvent, UserEntity } from '../../streams/contracts/page-change';
import type { DailyEditCounts, EditCounts, EditorKind, EditRecord } from './model';

/** The page change kinds that save a new revision and so count as an edit. */
export const COUNTED_KINDS: ReadonlySet<PageChangeEvent['page_change_kind']> = new Set(['create', 'edit']);

export function editorKind(event: PageChangeEvent): EditorKind {
  const user: UserEntity | undefined = event.revision.editor ?? event.performer;
  if (user?.is_bot === true || user?.groups?.includes('bot')) return 'bot';
  // MediaWiki writes user id 0 for anonymous actors in some places; the schema omits it.
  if (!user?.user_id || user.is_temp === true) return 'anonymous';
  return 'registered';
}

export function netBytes(event: PageChangeEvent): number {
  const size = event.revision.rev_size;
  if (size === undefined) return 0;
  const firstRevision = event.page_change_kind === 'create' || !event.revision.rev_parent_id;
  if (firstRevision) return size;
  const parentSize = event.prior_state?.revision?.rev_size;
  return parentSize === undefined ? 0 : size - parentSize;
}

/** `YYYYMMDD` of an ISO-8601 instant, in UTC. */
export function utcDay(iso: string | number | Date): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a date-time: ${String(iso)}`);
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

/** The edit an event records, or null when its kind does not count. */
export function toEditRecord(event: PageChangeEvent): EditRecord | null {
  if (!COUNTED_KINDS.has(event.page_change_kind)) return null;
  return {
    wikiId: event.wiki_id,
    pageId: event.page.page_id,
    revId: event.revision.rev_id,
    day: utcDay(event.revision.rev_dt),
    editorKind: editorKind(event),
    netBytes: netBytes(event),
  };
}

/** The edit records of a batch, one per (wiki, revision): a revision is one edit however often it arrives. */
export function editRecords(events: readonly PageChangeEvent[]): EditRecord[] {
  const byRevision = new Map<string, EditRecord>();
  for (const event of events) {
    const edit = toEditRecord(event);
    // Later copies win, as a later upsert of the row would; MediaWiki never changes a saved revision.
    if (edit) byRevision.set(`${edit.wikiId}\u0000${edit.revId}`, edit);
  }
  return [...byRevision.values()];
}

export function zeroCounts(): EditCounts {
  return { edits: 0, registeredEdits: 0, anonymousEdits: 0, botEdits: 0, netBytes: 0 };
}

/** Adds one edit to `counts` (in place). */
export function countEdit(counts: EditCounts, edit: Pick<EditRecord, 'editorKind' | 'netBytes'>): void {
  counts.edits++;
  if (edit.editorKind === 'registered') counts.registeredEdits++;
  else if (edit.editorKind === 'anonymous') counts.anonymousEdits++;
  else counts.botEdits++;
  counts.netBytes += edit.netBytes;
}

/** Adds `more` to `counts` (in place). */
export function addCounts(counts: EditCounts, more: EditCounts): void {
  counts.edits += more.edits;
  counts.registeredEdits += more.registeredEdits;
  counts.anonymousEdits += more.anonymousEdits;
  counts.botEdits += more.botEdits;
  counts.netBytes += more.netBytes;
}

/**
 * The write timestamp of a roll-up computed from `counts`: how many edits it
 * saw. See the header: the most complete recompute wins whatever order the
 * writes land in.
 */
export function rollupVersion(counts: Pick<EditCounts, 'edits'>): number {
  return counts.edits;
}

/**
 * How many buckets each wiki-day's pages are spread over (see the header: not
 * a tuning knob, it decides where rows live).
 */
export const BUCKETS = 4096;

/** murmur3's 32-bit finaliser: every input bit moves every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The bucket of a page within each of its wiki-days, 0 ≤ b < BUCKETS. A hash,
 * not `pageId % BUCKETS`, so ids that share a stride (pages created in bulk,
 * ids of one namespace) still spread evenly. Page ids are integers below 2^53;
 * both 32-bit halves are mixed in.
 */
export function pageBucket(pageId: number): number {
  if (!Number.isSafeInteger(pageId) || pageId < 0) {
    throw new RangeError(`page id must be a non-negative safe integer, got ${pageId}`);
  }
  const high = Math.floor(pageId / 2 ** 32);
  return fmix32((pageId >>> 0) ^ fmix32(high + 0x9e3779b9)) % BUCKETS;
}

/** One touched page-day and the batch's edits of it. */
export interface TouchedPageDay {
  pageId: number;
  edits: EditRecord[];
}

/** One touched bucket of a wiki-day and its touched page-days. */
export interface TouchedBucket {
  wikiId: string;
  day: string;
  bucket: number;
  pageDays: TouchedPageDay[];
}

/** The roll-ups a batch's edits touch, level by level (each listed once, in first-seen order). */
export interface TouchedRollups {
  /** Distinct (wiki, day, bucket), each with its distinct page-days. */
  buckets: TouchedBucket[];
  /** Distinct (wiki, day). */
  wikiDays: { wikiId: string; day: string }[];
}

export function touchedRollups(edits: readonly EditRecord[]): TouchedRollups {
  const buckets = new Map<string, TouchedBucket & { byPage: Map<number, TouchedPageDay> }>();
  const wikiDays = new Map<string, TouchedRollups['wikiDays'][number]>();
  for (const edit of edits) {
    const { wikiId, pageId, day } = edit;
    const bucket = pageBucket(pageId);
    const key = `${wikiId}\u0000${day}\u0000${bucket}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { wikiId, day, bucket, pageDays: [], byPage: new Map() }));
    let pageDay = b.byPage.get(pageId);
    if (!pageDay) {
      b.byPage.set(pageId, (pageDay = { pageId, edits: [] }));
      b.pageDays.push(pageDay);
    }
    pageDay.edits.push(edit);
    wikiDays.set(`${wikiId}\u0000${day}`, { wikiId, day });
  }
  return {
    buckets: [...buckets.values()].map(({ byPage: _, ...b }) => b),
    wikiDays: [...wikiDays.values()],
  };
}

/** A bucket's roll-up: the sum of its pages, and its busiest page's edits (what a top list can skip by). */
export interface BucketCounts extends EditCounts {
  topPageEdits: number;
}

/** The edit rows of one bucket of a wiki-day, counted per page as they are read. */
export class BucketTally {
  /** Page id → that page-day's counts. */
  readonly pages = new Map<number, EditCounts>();

  add(pageId: number, edit: Pick<EditRecord, 'editorKind' | 'netBytes'>): void {
    let counts = this.pages.get(pageId);
    if (!counts) this.pages.set(pageId, (counts = zeroCounts()));
    countEdit(counts, edit);
  }

  /** A page-day's counts (a copy), zero when the bucket has no edit of it. */
  page(pageId: number): EditCounts {
    return { ...(this.pages.get(pageId) ?? zeroCounts()) };
  }

  sum(): BucketCounts {
    const sum: BucketCounts = { ...zeroCounts(), topPageEdits: 0 };
    for (const counts of this.pages.values()) {
      addCounts(sum, counts);
      sum.topPageEdits = Math.max(sum.topPageEdits, counts.edits);
    }
    return sum;
  }
}

/** A daily point, copied (stores hand out copies, never their own rows). */
export function dailyPoint(day: string, counts: EditCounts): DailyEditCounts {
  return {
    day,
    edits: counts.edits,
    registeredEdits: counts.registeredEdits,
    anonymousEdits: counts.anonymousEdits,
    botEdits: counts.botEdits,
    netBytes: counts.netBytes,
  };
}
