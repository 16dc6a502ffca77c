/**
 * `PageviewsStore` in process memory, for running without Cassandra. State
 * dies with the process (`durable: false`), so the platform replays the stream.
 * Same rules as the Cassandra adapter: hours are the source, daily rows and
 * ranking entries are recomputed from them, and the precomputed top lists
 * (day and month) are merged from those entries by top.ts's rules (the same
 * merge as on Cassandra, so the contract suite tests one algorithm on both);
 * retention drops whole days at the
 * instant `retention.ts` says (checked against `now()` on every read, swept from
 * memory as the clock passes it).
 */
import {
  dailyColumn,
  dailyCountsOf,
  foldHours,
  rankedAccesses,
  type DailyCounts,
  type HourlyCells,
  type PageviewHour,
  type WriteResult,
} from '../model';
import { expiresAtMs, ttlSeconds, type Retention } from '../retention';
import { lastDayOfMonth } from '../timestamps';
import {
  mergeTopList,
  TOP_LIST_SIZE,
  TopListChanges,
  topListId,
  type TopEntry,
  type TopListKey,
} from '../top';
import { checkTopLimit, STREAM_WRITER, TopN, type PageviewsStore, type WriteHoursOptions } from './port';

export interface EmbeddedPageviewsStoreOptions {
  retention: Retention;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number;
}

interface Article {
  /** Day → hour → cells. */
  hours: Map<string, Map<string, HourlyCells>>;
  /** Day → AQS daily counts. */
  daily: Map<string, DailyCounts>;
}

const SWEEP_EVERY_MS = 3_600_000;

function articleKey(project: string, title: string): string {
  return `${project}\u0000${title}`;
}

function topKey(project: string, access: string, day: string): string {
  return `${project}\u0000${access}\u0000${day}`;
}

export function createEmbeddedPageviewsStore(options: EmbeddedPageviewsStoreOptions): PageviewsStore {
  const { retention } = options;
  const now = options.now ?? Date.now;
  const articles = new Map<string, Article>();
  /** Ranking input: (project, access, day or month) → title → user views of that day or month. */
  const top = new Map<string, Map<string, number>>();
  /** Precomputed lists, by `topListId`. */
  const lists = new Map<string, TopEntry[]>();
  /** (project, month) → day → writers: `writtenDays`. */
  const written = new Map<string, Map<string, Set<string>>>();
  /** Monotonic stand-in for Cassandra's write times: orders the entries' sources. */
  let clock = 0;
  let lastSweep = now();

  const hourAlive = (day: string, at: number) => expiresAtMs(day, retention.hourlyDays) > at;
  const dailyAlive = (day: string, at: number) => expiresAtMs(day, retention.dailyDays) > at;

  /** Frees what retention has dropped; reads already ignore it, this only bounds memory. */
  function sweep(at: number): void {
    if (at - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = at;
    for (const [key, article] of articles) {
      for (const day of article.hours.keys()) if (!hourAlive(day, at)) article.hours.delete(day);
      for (const day of article.daily.keys()) if (!dailyAlive(day, at)) article.daily.delete(day);
      if (article.hours.size === 0 && article.daily.size === 0) articles.delete(key);
    }
    for (const map of [top, lists]) {
      for (const key of map.keys())
        if (!periodAlive(key.slice(key.lastIndexOf('\u0000') + 1), at)) map.delete(key);
    }
  }

  /** A day (`YYYYMMDD`) or a month (`YYYYMM`, alive while its last day is) within daily retention. */
  const periodAlive = (period: string, at: number) =>
    dailyAlive(period.length === 6 ? lastDayOfMonth(period) : period, at);

  function setRank(key: string, title: string, views: number): void {
    let ranking = top.get(key);
    if (!ranking) top.set(key, (ranking = new Map()));
    ranking.set(title, views);
  }

  function recompute(
    project: string,
    title: string,
    article: Article,
    day: string,
    at: number,
    changes: TopListChanges,
  ): void {
    const hours = article.hours.get(day);
    if (!hours || ttlSeconds(day, retention.dailyDays, at) === null) return;
    const counts = dailyCountsOf(hours.values());
    article.daily.set(day, counts);
    const written = ++clock;
    const month = day.slice(0, 6);
    for (const access of rankedAccesses(hours.values())) {
      const column = dailyColumn(access, 'user');
      setRank(topKey(project, access, day), title, counts[column]);
      changes.add({ project, access, period: day }, title, counts[column], written);
      let monthViews = 0;
      for (const [d, c] of article.daily) if (d.startsWith(month)) monthViews += c[column];
      setRank(topKey(project, access, month), title, monthViews);
      changes.add({ project, access, period: month }, title, monthViews, written);
    }
  }

  /** Ranks a list's period from the ranking input (the rebuild of a list the merge cannot settle). */
  function rankFromInput(key: TopListKey, limit: number): TopEntry[] {
    const ranked = new TopN<TopEntry>(limit);
    for (const [title, views] of top.get(topKey(key.project, key.access, key.period)) ?? [])
      ranked.offer({ title, views, written: clock });
    return ranked.ranked();
  }

  function mergeLists(changes: TopListChanges): void {
    for (const [id, { key, updates }] of changes.lists) {
      const merged = mergeTopList(lists.get(id) ?? [], updates);
      lists.set(id, merged ?? rankFromInput(key, TOP_LIST_SIZE));
    }
  }

  function listed(key: TopListKey, limit: number): TopEntry[] {
    checkTopLimit(limit);
    if (!periodAlive(key.period, now())) return [];
    return (lists.get(topListId(key)) ?? []).slice(0, limit);
  }

  return {
    description: 'embedded (in-process memory, not durable)',
    durable: false,

    async writeHours(hours: readonly PageviewHour[], options: WriteHoursOptions = {}): Promise<WriteResult> {
      const at = now();
      sweep(at);
      const result: WriteResult = { written: 0, expired: 0 };
      const touched = new Map<string, { project: string; title: string; days: Set<string> }>();
      for (const h of foldHours(hours)) {
        const day = h.hour.slice(0, 8);
        if (ttlSeconds(day, retention.hourlyDays, at) === null) {
          result.expired++;
          continue;
        }
        const key = articleKey(h.project, h.title);
        let article = articles.get(key);
        if (!article) articles.set(key, (article = { hours: new Map(), daily: new Map() }));
        const monthKey = `${h.project}\u0000${day.slice(0, 6)}`;
        let days = written.get(monthKey);
        if (!days) written.set(monthKey, (days = new Map()));
        let writers = days.get(day);
        if (!writers) days.set(day, (writers = new Set()));
        writers.add(options.writer ?? STREAM_WRITER);
        let dayHours = article.hours.get(day);
        if (!dayHours) article.hours.set(day, (dayHours = new Map()));
        dayHours.set(h.hour, { ...dayHours.get(h.hour), ...h.cells });
        result.written++;
        let t = touched.get(key);
        if (!t) touched.set(key, (t = { project: h.project, title: h.title, days: new Set() }));
        t.days.add(day);
      }
      const changes = options.topLists ?? new TopListChanges();
      for (const [key, t] of touched) {
        for (const day of t.days) recompute(t.project, t.title, articles.get(key)!, day, at, changes);
      }
      if (!options.topLists) mergeLists(changes);
      return result;
    },

    async writtenDays(project, month) {
      const days = written.get(`${project}\u0000${month}`) ?? new Map<string, Set<string>>();
      const at = now();
      return new Map([...days].filter(([day]) => hourAlive(day, at)).map(([day, w]) => [day, new Set(w)]));
    },

    async mergeTopLists(changes) {
      mergeLists(changes);
    },

    async hourlyRows(keys) {
      const at = now();
      return keys.map((k) => {
        const article = articles.get(articleKey(k.project, k.title));
        if (!article) return [];
        const rows = [];
        for (const [day, hours] of article.hours) {
          if (!hourAlive(day, at) || day < k.startHour.slice(0, 8) || day > k.endHour.slice(0, 8)) continue;
          for (const [hour, cells] of hours)
            if (hour >= k.startHour && hour <= k.endHour) rows.push({ hour, cells: { ...cells } });
        }
        return rows.sort((a, b) => (a.hour < b.hour ? -1 : 1));
      });
    },

    async dailyRows(keys) {
      const at = now();
      return keys.map((k) => {
        const article = articles.get(articleKey(k.project, k.title));
        if (!article) return [];
        const rows = [];
        for (const [day, counts] of article.daily) {
          if (dailyAlive(day, at) && day >= k.startDay && day <= k.endDay)
            rows.push({ timestamp: `${day}00`, counts: { ...counts } });
        }
        return rows.sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
      });
    },

    async topPages(query) {
      const key = { project: query.project, access: query.access, period: query.day };
      return listed(key, query.limit).map(({ title, views }) => ({ title, views }));
    },

    async topPagesOfMonth(query) {
      const key = { project: query.project, access: query.access, period: query.month };
      return listed(key, query.limit).map(({ title, views }) => ({ title, views }));
    },

    async scanTopPages(query) {
      checkTopLimit(query.limit);
      if (!dailyAlive(query.day, now())) return [];
      const key = { project: query.project, access: query.access, period: query.day };
      return rankFromInput(key, query.limit).map(({ title, views }) => ({ title, views }));
    },

    async close() {
      articles.clear();
      top.clear();
      lists.clear();
      written.clear();
    },
  };
}
