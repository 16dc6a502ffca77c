/**
 * The `pageviews` product's state, independent of any store, in Wikimedia AQS's
 * terms: per-article counts by access method × agent type.
 *
 * Source of truth are **hourly** counts per article, each cell an absolute value
 * for that hour (a stream event or a dump line says "page P had N views in hour
 * H", never "N more"). Everything else is derived from them as absolute values:
 * the daily AQS row of a day is the sum of that day's hours, recomputed after
 * every write; monthly points are summed from daily rows at read time. So
 * loading or redelivering the same hour twice changes nothing.
 *
 * Cell and column names are AQS's (`per_article_flat`): access prefix `d`
 * desktop, `ma` mobile app, `mw` mobile web, `a` all access; agent suffix `u`
 * user, `s` spider, `b` automated ("bot"), `a` all agents.
 */

export const ACCESS_METHODS = ['desktop', 'mobile-app', 'mobile-web'] as const;
export type AccessMethod = (typeof ACCESS_METHODS)[number];
/** An access method or AQS's roll-up over all of them. */
export type Access = AccessMethod | 'all-access';
export const ACCESSES: readonly Access[] = ['all-access', ...ACCESS_METHODS];

export const AGENT_TYPES = ['user', 'spider', 'automated'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];
export type Agent = AgentType | 'all-agents';

const ACCESS_PREFIX: Record<Access, string> = {
  'all-access': 'a',
  desktop: 'd',
  'mobile-app': 'ma',
  'mobile-web': 'mw',
};
const AGENT_SUFFIX: Record<Agent, string> = { 'all-agents': 'a', automated: 'b', spider: 's', user: 'u' };

/** The nine measured cells of an hour (no roll-ups: those are sums). */
export const HOURLY_COLUMNS = ['du', 'ds', 'db', 'mau', 'mas', 'mab', 'mwu', 'mws', 'mwb'] as const;
export type HourlyColumn = (typeof HOURLY_COLUMNS)[number];

/** The sixteen int columns of an AQS daily row, in AQS's order. */
export const DAILY_COLUMNS = [
  'aa',
  'ab',
  'as',
  'au',
  'da',
  'db',
  'ds',
  'du',
  'maa',
  'mab',
  'mas',
  'mau',
  'mwa',
  'mwb',
  'mws',
  'mwu',
] as const;
export type DailyColumn = (typeof DAILY_COLUMNS)[number];

/** The AQS column holding `access` × `agent`, e.g. (mobile-web, user) → `mwu`. */
export function dailyColumn(access: Access, agent: Agent): DailyColumn {
  return `${ACCESS_PREFIX[access]}${AGENT_SUFFIX[agent]}` as DailyColumn;
}

export function hourlyColumn(access: AccessMethod, agent: AgentType): HourlyColumn {
  return `${ACCESS_PREFIX[access]}${AGENT_SUFFIX[agent]}` as HourlyColumn;
}

/**
 * Counts of one article in one hour. A missing cell is one the source did not
 * measure (a dump line carries desktop *or* mobile-web user views only) and is
 * left as stored; an explicit 0 is a measurement and overwrites.
 */
export type HourlyCells = Partial<Record<HourlyColumn, number>>;

export type DailyCounts = Record<DailyColumn, number>;

/**
 * Largest count one hourly cell may hold: a day's total over all 24 hours and
 * all 9 cells must fit the 32-bit `int` columns AQS's daily rows use
 * (⌊(2³¹−1) / (24 × 9)⌋). The busiest article hour Wikipedia ever served was
 * about a tenth of this.
 */
export const MAX_HOURLY_CELL = Math.floor((2 ** 31 - 1) / (24 * HOURLY_COLUMNS.length));

/** One article's counts for one hour, normalised from an event or a dump line. */
export interface PageviewHour {
  /** Wiki database name, e.g. `enwiki`. */
  wikiId: string;
  /** AQS project of the wiki, e.g. `en.wikipedia` (the stores' partition key). */
  project: string;
  /** Namespace of `title` (informational: the prefixed title already identifies the page). */
  namespace: number;
  /** Prefixed title with underscores, as MediaWiki events carry it (`Talk:Foo_bar`). */
  title: string;
  /** Hour start, `YYYYMMDDHH` (UTC). */
  hour: string;
  cells: HourlyCells;
}

/** A stored hour of one article. */
export interface HourlyRow {
  hour: string;
  cells: HourlyCells;
}

/** A stored AQS daily row: `timestamp` is `YYYYMMDD00`. */
export interface DailyRow {
  timestamp: string;
  counts: DailyCounts;
}

/** One article's daily rows between two days, both inclusive (`YYYYMMDD`). */
export interface DailyRangeKey {
  project: string;
  title: string;
  startDay: string;
  endDay: string;
}

/** One article's stored hours between two hours, both inclusive (`YYYYMMDDHH`). */
export interface HourlyRangeKey {
  project: string;
  title: string;
  startHour: string;
  endHour: string;
}

export interface TopPagesQuery {
  project: string;
  access: Access;
  /** `YYYYMMDD`. */
  day: string;
  /** How many, ranked by user-agent views (AQS ranks top articles by user traffic). */
  limit: number;
}

export interface MonthlyTopPagesQuery {
  project: string;
  access: Access;
  /** `YYYYMM`. */
  month: string;
  limit: number;
}

export interface TopPageRow {
  title: string;
  views: number;
}

/** The AQS daily row of a day from its stored hours: every roll-up is a sum. */
export function dailyCountsOf(hours: Iterable<HourlyCells>): DailyCounts {
  const counts = Object.fromEntries(DAILY_COLUMNS.map((c) => [c, 0])) as DailyCounts;
  for (const cells of hours) {
    for (const access of ACCESS_METHODS) {
      for (const agent of AGENT_TYPES) {
        const n = cells[hourlyColumn(access, agent)] ?? 0;
        counts[dailyColumn(access, agent)] += n;
        counts[dailyColumn(access, 'all-agents')] += n;
        counts[dailyColumn('all-access', agent)] += n;
        counts[dailyColumn('all-access', 'all-agents')] += n;
      }
    }
  }
  return counts;
}

/**
 * The access methods whose top-pages entry a day's hours determine: all
 * access, and each method with a measured user count in some hour (a measured
 * 0 included, so a correction downwards replaces the entry). A dump line
 * measures one method, so its day needs two ranking writes, not four.
 */
export function rankedAccesses(hours: Iterable<HourlyCells>): Access[] {
  const measured = new Set<Access>(['all-access']);
  for (const cells of hours) {
    for (const access of ACCESS_METHODS)
      if (cells[hourlyColumn(access, 'user')] !== undefined) measured.add(access);
  }
  return ACCESSES.filter((a) => measured.has(a));
}

/** The cells a set measures, in `HOURLY_COLUMNS` order. */
export function measuredColumns(cells: HourlyCells): HourlyColumn[] {
  return HOURLY_COLUMNS.filter((c) => cells[c] !== undefined);
}

/** Key of the article-hour a `PageviewHour` writes. */
export function hourKey(h: Pick<PageviewHour, 'project' | 'title' | 'hour'>): string {
  return `${h.project}\u0000${h.title}\u0000${h.hour}`;
}

/**
 * Folds hours of one batch that name the same article-hour, in order: a later
 * measurement of a cell replaces an earlier one, cells only one of them
 * measured are kept. Writing the fold is what writing them one by one would
 * leave, in one write per article-hour.
 */
export function foldHours(hours: readonly PageviewHour[]): PageviewHour[] {
  const folded = new Map<string, PageviewHour>();
  for (const h of hours) {
    const key = hourKey(h);
    const prev = folded.get(key);
    folded.set(
      key,
      prev ? { ...prev, cells: { ...prev.cells, ...h.cells } } : { ...h, cells: { ...h.cells } },
    );
  }
  return [...folded.values()];
}

/**
 * What a write did, in hourly rows (article-hours after folding the batch):
 * `written` upserted, `expired` past retention and not written.
 */
export interface WriteResult {
  written: number;
  expired: number;
}
