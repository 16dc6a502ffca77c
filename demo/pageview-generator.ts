/**
 * A deterministic generator of `analytics/pageview_hourly` 1.0.0 events
 * (stream `analytics.pageview_hourly`) for the demo feeder and tests: hourly
 * view counts of the pages the page-change generator creates.
 *
 * It learns the live pages of each wiki from the page_change events it is
 * shown (`observe`: creates and undeletes add a title, moves rename it, deletes
 * remove it) and gives views to the most popular `MAX_VIEWED_PAGES_PER_WIKI` of
 * them:
 *  - on the first call, complete counts for the `backfillHours` hours before
 *    the current one, so daily queries over the last few days have data on a
 *    fresh start (the demo's pages all appear at once, so their views reach
 *    back before their creation: a demo liberty);
 *  - each time an hour ends, its complete counts;
 *  - with `historyFromMs`, also on the first call: one evening hour a day, from
 *    that day up to the backfill, for each wiki's `HISTORY_PAGES_PER_WIKI` most
 *    viewed pages, so queries over the past months have data without emitting
 *    every hour of them;
 *  - for the hour in progress, counts so far for a few pages per call (rotating),
 *    growing through the hour. Counts are absolute, so each replaces the last.
 *
 * A count is a pure function of (seed, wiki, title, hour, cell) and the share
 * of the hour elapsed: re-emitting an hour (a restarted feeder) sends the same
 * numbers, which is what the product's idempotency promises to absorb.
 */
import type { PageChangeEvent } from '../streams/contracts/page-change';
import {
  PAGEVIEW_HOURLY_SCHEMA_URI,
  PAGEVIEW_HOURLY_STREAM,
  type AgentCounts,
  type PageviewHourlyEvent,
} from '../subgraphs/pageviews/events';
import { projectOfWiki } from '../subgraphs/pageviews/projects';

const HOUR_MS = 3_600_000;

/** Hours backfilled on the first call: three days, so "the last few days" have data. */
export const DEFAULT_BACKFILL_HOURS = 72;

/** Pages per wiki that get views: the demo history creates thousands a day, the events per hour stay bounded. */
export const MAX_VIEWED_PAGES_PER_WIKI = 300;

/** Pages per wiki given views in the sparse history: enough to rank, few enough to start fast. */
export const HISTORY_PAGES_PER_WIKI = 20;

/** The UTC hour of each history day that carries views (the evening peak). */
const HISTORY_HOUR = 18;

const DAY_MS = 24 * HOUR_MS;

/** Peak-hour user views through the desktop site of the most popular page; others follow a power law. */
const PEAK_DESKTOP_USER_VIEWS = 400;

/** Each cell relative to desktop user views (mobile web outdraws desktop on Wikipedia; bots are a trickle). */
const CELL_SHARE = {
  desktop: { user: 1, spider: 0.08, automated: 0.03 },
  mobile_web: { user: 1.4, spider: 0.03, automated: 0.01 },
  mobile_app: { user: 0.12, spider: 0.005, automated: 0 },
} as const;

/** Traffic relative to enwiki. */
const WIKI_SCALE: Record<string, number> = { enwiki: 1, dewiki: 0.35 };

export interface PageviewGeneratorOptions {
  /** Any integer; the same seed and observed events always yield the same counts. */
  seed: number;
  /**
   * Wall clock (ms since the epoch), as for the page generator. Without one, the
   * current time is the newest page change observed (tests, simulated time).
   */
  clock?: () => number;
  /** Hours before the current one emitted on the first call (default 72). */
  backfillHours?: number;
  /** Start of the sparse history emitted on the first call, ms since the epoch; none when undefined. */
  historyFromMs?: number;
}

/** A uniform number in [0, 1) from a string: FNV-1a, then murmur3's finaliser to spread the bits. */
function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Daily rhythm: traffic peaks in the (UTC) evening, bottoms out before dawn. */
function diurnal(hourMs: number): number {
  const hourOfDay = new Date(hourMs).getUTCHours();
  return 0.65 + 0.35 * Math.sin((2 * Math.PI * (hourOfDay - 12)) / 24);
}

export class PageviewGenerator {
  private readonly seed: number;
  private readonly clock: (() => number) | undefined;
  private readonly backfillHours: number;
  private readonly historyFromMs: number | undefined;
  /** Wiki → live title → namespace. */
  private readonly pages = new Map<string, Map<string, number>>();
  private newestDtMs = Number.NEGATIVE_INFINITY;
  /** Start of the last complete hour emitted; undefined before the first call. */
  private emittedThrough: number | undefined;
  private rotation = 0;

  constructor(options: PageviewGeneratorOptions) {
    this.seed = options.seed;
    this.clock = options.clock;
    this.backfillHours = options.backfillHours ?? DEFAULT_BACKFILL_HOURS;
    this.historyFromMs = options.historyFromMs;
    if (!Number.isInteger(this.backfillHours) || this.backfillHours < 0)
      throw new RangeError(`backfillHours must be a non-negative integer, got ${this.backfillHours}`);
  }

  /** Learns live pages from page changes, in log order. */
  observe(events: readonly PageChangeEvent[]): void {
    for (const e of events) {
      let titles = this.pages.get(e.wiki_id);
      if (!titles) this.pages.set(e.wiki_id, (titles = new Map()));
      const { page_title: title, namespace_id: namespace = 0 } = e.page;
      switch (e.page_change_kind) {
        case 'create':
        case 'undelete':
        case 'edit':
          titles.set(title, namespace);
          break;
        case 'move': {
          const prior = e.prior_state?.page?.page_title;
          if (prior !== undefined) titles.delete(prior);
          titles.set(title, namespace);
          break;
        }
        case 'delete':
          titles.delete(title);
          break;
        case 'visibility_change':
          break;
      }
      const dt = Date.parse(e.dt);
      if (dt > this.newestDtMs) this.newestDtMs = dt;
    }
  }

  /**
   * Events due now: complete hours not emitted yet (the backfill on the first
   * call), then counts so far of the current hour for up to `n` pages.
   */
  next(n: number): PageviewHourlyEvent[] {
    const now = this.clock ? this.clock() : this.newestDtMs;
    if (!Number.isFinite(now)) return [];
    const currentHour = now - (now % HOUR_MS);
    const viewed = this.viewedPages();
    // Nothing to view yet: the backfill waits for the first pages rather than passing them by.
    if (viewed.length === 0) return [];
    const events: PageviewHourlyEvent[] = [];
    const backfillFrom = currentHour - (this.backfillHours + 1) * HOUR_MS;
    if (this.emittedThrough === undefined && this.historyFromMs !== undefined) {
      const history = this.viewedPages(HISTORY_PAGES_PER_WIKI);
      const firstDay = this.historyFromMs - (this.historyFromMs % DAY_MS);
      for (let hour = firstDay + HISTORY_HOUR * HOUR_MS; hour <= backfillFrom; hour += DAY_MS) {
        for (const page of history) events.push(this.event(page, hour, 1, now));
      }
    }
    let from = this.emittedThrough ?? backfillFrom;
    for (let hour = from + HOUR_MS; hour < currentHour; hour += HOUR_MS) {
      for (const page of viewed) events.push(this.event(page, hour, 1, now));
      from = hour;
    }
    this.emittedThrough = Math.max(from, currentHour - HOUR_MS);
    const fraction = (now - currentHour) / HOUR_MS;
    for (let i = 0; i < Math.min(n, viewed.length); i++) {
      events.push(this.event(viewed[this.rotation++ % viewed.length]!, currentHour, fraction, now));
    }
    return events;
  }

  /** Popularity in (0, 1] of a page: a power law over a stable hash, talk and other pages far below articles. */
  private popularity(wikiId: string, namespace: number, title: string): number {
    const u = hashUnit(`${this.seed}|${wikiId}|${title}`);
    return (WIKI_SCALE[wikiId] ?? 0.2) * (namespace === 0 ? 1 : 0.05) * Math.max(u ** 3, 0.01);
  }

  /** The most popular live pages of each wiki (at most `perWiki`), in a stable order. */
  private viewedPages(
    perWiki = MAX_VIEWED_PAGES_PER_WIKI,
  ): { wikiId: string; namespace: number; title: string; popularity: number }[] {
    const out = [];
    for (const [wikiId, titles] of [...this.pages].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!projectOfWiki(wikiId)) continue;
      const pages = [...titles].map(([title, namespace]) => ({
        wikiId,
        namespace,
        title,
        popularity: this.popularity(wikiId, namespace, title),
      }));
      pages.sort((a, b) => b.popularity - a.popularity || (a.title < b.title ? -1 : 1));
      out.push(...pages.slice(0, perWiki));
    }
    return out;
  }

  private event(
    page: { wikiId: string; namespace: number; title: string; popularity: number },
    hourMs: number,
    fraction: number,
    nowMs: number,
  ): PageviewHourlyEvent {
    const base = PEAK_DESKTOP_USER_VIEWS * page.popularity * diurnal(hourMs);
    const views: PageviewHourlyEvent['views'] = {};
    for (const access of ['desktop', 'mobile_web', 'mobile_app'] as const) {
      const counts: AgentCounts = {};
      for (const agent of ['user', 'spider', 'automated'] as const) {
        const noise =
          0.8 + 0.4 * hashUnit(`${this.seed}|${page.wikiId}|${page.title}|${hourMs}|${access}|${agent}`);
        counts[agent] = Math.round(base * CELL_SHARE[access][agent] * noise * fraction);
      }
      views[access] = counts;
    }
    const project = projectOfWiki(page.wikiId)!;
    return {
      $schema: PAGEVIEW_HOURLY_SCHEMA_URI,
      meta: { stream: PAGEVIEW_HOURLY_STREAM, domain: `${project}.org`, dt: new Date(nowMs).toISOString() },
      dt: new Date(hourMs).toISOString(),
      wiki_id: page.wikiId,
      namespace_id: page.namespace,
      page_title: page.title,
      views,
    };
  }
}
