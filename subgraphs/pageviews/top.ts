/**
 * Precomputed top lists, as Wikimedia AQS stores them (`top_pageviews`): per
 * project, access method and day (or month: AQS's `day = 'all-days'`), the
 * first TOP_LIST_SIZE articles by user-agent views, as one ranked list. Both
 * stores keep them up to date as counts arrive, so `topPages` reads one list
 * instead of ranking a day of millions of articles at query time.
 *
 * A list is maintained incrementally, by `mergeTopList`: each write hands it
 * the new absolute views of the articles it touched. What makes that exact is
 * an invariant a full list keeps: every article *not* on it ranks below its
 * last entry. New or raised articles can only enter at the right place; the
 * one case the list cannot settle on its own is a full list whose new tail
 * ranks below the old tail (an entry corrected downwards, or dropped to 0):
 * an article outside may now belong on it. Then the merge says so (null) and
 * the store rebuilds the list from its per-article ranking input (a scan of
 * the day, as `topPages` used to do on every query). Views of a day only
 * grow as its hours arrive, from dumps or the stream; only a correction of an
 * hour already counted can shrink one, so the rebuild is the exception.
 *
 * Each entry carries the write time of the counts it was summed from, so a
 * merge computed from older counts never replaces a newer entry (two writers
 * of the same article racing; see the stores for how they serialise merges).
 */

/** AQS publishes the first 1000 articles of every day and month. */
export const TOP_LIST_SIZE = 1000;

/** AQS's `day` of a monthly top list. */
export const ALL_DAYS = 'all-days';

export interface TopEntry {
  title: string;
  views: number;
  /** Write time (µs since the epoch in Cassandra, 0 in memory) of the counts `views` was summed from. */
  written: number;
}

/** True when `a` ranks below `b`: fewer views, or as many and a later title. */
export function ranksBelow(
  a: Pick<TopEntry, 'title' | 'views'>,
  b: Pick<TopEntry, 'title' | 'views'>,
): boolean {
  return a.views < b.views || (a.views === b.views && a.title > b.title);
}

export function rankOrder(a: TopEntry, b: TopEntry): number {
  return ranksBelow(a, b) ? 1 : ranksBelow(b, a) ? -1 : 0;
}

/**
 * The list after `updates` (title → the article's new absolute views, with
 * their write time), or null when the list cannot tell its new tail without a
 * rebuild (see the module comment). `stored` is ranked, at most `size` long.
 */
export function mergeTopList(
  stored: readonly TopEntry[],
  updates: ReadonlyMap<string, { views: number; written: number }>,
  size = TOP_LIST_SIZE,
): TopEntry[] | null {
  const wasFull = stored.length >= size;
  const oldTail = stored[stored.length - 1];
  const entries = new Map(stored.map((e) => [e.title, e]));
  for (const [title, u] of updates) {
    const current = entries.get(title);
    // An update summed from older counts than the entry's is stale: keep the entry.
    if (current && current.written > u.written) continue;
    if (u.views <= 0) entries.delete(title);
    // An article off a full list that ranks below its old tail cannot make the new one: either
    // the new tail still ranks at or above the old one, or the list is rebuilt (below) anyway.
    // Skipping it keeps a merge of a whole day's updates to a sort of about `size` entries.
    else if (!current && wasFull && oldTail && ranksBelow({ title, views: u.views }, oldTail)) continue;
    else entries.set(title, { title, views: u.views, written: u.written });
  }
  const ranked = [...entries.values()].sort(rankOrder).slice(0, size);
  if (!wasFull || !oldTail) return ranked;
  // Articles outside the old full list all rank below its old tail; the new
  // list is exact only if it still reaches down to there.
  const newTail = ranked[ranked.length - 1];
  if (ranked.length < size || !newTail || ranksBelow(newTail, oldTail)) return null;
  return ranked;
}

/** AQS's `articlesJSON` shape: `[{"article","views","rank"}]`, plus each entry's source write time. */
export function serializeTopList(list: readonly TopEntry[]): string {
  return JSON.stringify(
    list.map((e, i) => ({ article: e.title, views: e.views, rank: i + 1, written: e.written })),
  );
}

export function parseTopList(json: string): TopEntry[] {
  const raw = JSON.parse(json) as { article: string; views: number; written?: number }[];
  return raw.map((e) => ({ title: e.article, views: e.views, written: e.written ?? 0 }));
}

/** The new views of the articles touched by writes, per list, until they are merged. */
export class TopListChanges {
  readonly lists = new Map<
    string,
    { key: TopListKey; updates: Map<string, { views: number; written: number }> }
  >();

  add(key: TopListKey, title: string, views: number, written: number): void {
    const id = topListId(key);
    let list = this.lists.get(id);
    if (!list) this.lists.set(id, (list = { key, updates: new Map() }));
    const prev = list.updates.get(title);
    if (!prev || prev.written <= written) list.updates.set(title, { views, written });
  }

  /** Moves every change of `other` into this one. */
  absorb(other: TopListChanges): void {
    for (const { key, updates } of other.lists.values())
      for (const [title, u] of updates) this.add(key, title, u.views, u.written);
  }

  get size(): number {
    let n = 0;
    for (const l of this.lists.values()) n += l.updates.size;
    return n;
  }
}

/** One top list: a day (`YYYYMMDD`) or a month (`YYYYMM`) of a project's access method. */
export interface TopListKey {
  project: string;
  access: string;
  /** `YYYYMMDD` for a day's list, `YYYYMM` for a month's. */
  period: string;
}

export function topListId(key: TopListKey): string {
  return `${key.project}\u0000${key.access}\u0000${key.period}`;
}

/** AQS's (year, month, day) of a list's period; a month's list has `day = 'all-days'`. */
export function aqsPeriod(period: string): { year: string; month: string; day: string } {
  return {
    year: period.slice(0, 4),
    month: period.slice(4, 6),
    day: period.length === 8 ? period.slice(6, 8) : ALL_DAYS,
  };
}
