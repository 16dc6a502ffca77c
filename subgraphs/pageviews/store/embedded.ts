/**
 * `PageviewsStore` in process memory, for running without Cassandra. State
 * dies with the process (`durable: false`), so the platform replays the stream.
 * Same rules as the Cassandra adapter: hours are the source, daily rows and
 * top-pages entries are recomputed from them; retention drops whole days at the
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
import { checkTopLimit, TopN, type PageviewsStore } from './port';

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
  /** (project, access, day) → title → user views of that day. */
  const top = new Map<string, Map<string, number>>();
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
    for (const key of top.keys())
      if (!dailyAlive(key.slice(key.lastIndexOf('\u0000') + 1), at)) top.delete(key);
  }

  function recompute(project: string, title: string, article: Article, day: string, at: number): void {
    const hours = article.hours.get(day);
    if (!hours || ttlSeconds(day, retention.dailyDays, at) === null) return;
    const counts = dailyCountsOf(hours.values());
    article.daily.set(day, counts);
    for (const access of rankedAccesses(hours.values())) {
      const key = topKey(project, access, day);
      let views = top.get(key);
      if (!views) top.set(key, (views = new Map()));
      views.set(title, counts[dailyColumn(access, 'user')]);
    }
  }

  return {
    description: 'embedded (in-process memory, not durable)',
    durable: false,

    async writeHours(hours: readonly PageviewHour[]): Promise<WriteResult> {
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
        let dayHours = article.hours.get(day);
        if (!dayHours) article.hours.set(day, (dayHours = new Map()));
        dayHours.set(h.hour, { ...dayHours.get(h.hour), ...h.cells });
        result.written++;
        let t = touched.get(key);
        if (!t) touched.set(key, (t = { project: h.project, title: h.title, days: new Set() }));
        t.days.add(day);
      }
      for (const [key, t] of touched) {
        for (const day of t.days) recompute(t.project, t.title, articles.get(key)!, day, at);
      }
      return result;
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
      checkTopLimit(query.limit);
      const ranked = new TopN(query.limit);
      if (!dailyAlive(query.day, now())) return [];
      for (const [title, views] of top.get(topKey(query.project, query.access, query.day)) ?? [])
        ranked.offer({ title, views });
      return ranked.ranked();
    },

    async close() {
      articles.clear();
      top.clear();
    },
  };
}
