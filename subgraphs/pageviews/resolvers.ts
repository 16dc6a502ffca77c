/**
 * Resolvers of the `pageviews` subgraph: `Page.pageviews` (AQS's per-article
 * metric) through the `wikiId namespace title` key, and `Query.topPages`. Page
 * views are read only through the request's DataLoader (context.ts); bad
 * arguments are BAD_USER_INPUT errors naming the argument.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { badInput } from '../../platform/graphql';
import type { PageviewsContext } from './context';
import { dailyColumn, type Access, type Agent, type DailyRow } from './model';
import { namespaceOfTitle } from './namespaces';
import { projectOfWiki } from './projects';
import { MAX_TOP_PAGES } from './store/port';
import { DAY_MS, fullMonths, keyToMs } from './timestamps';

/**
 * Longest `Page.pageviews` range, in days (ten years, as editstats allows).
 * Checked by arithmetic before anything is read or walked: a MONTHLY range of
 * 19700101–99991231 used to walk months past year 9999 for 8.9 s of CPU.
 */
export const MAX_PAGEVIEWS_RANGE_DAYS = 3660;

/*
 * GraphQL enum names ↔ AQS's values. Mapped here rather than as enum internal
 * values in the resolver map: argument defaults in the SDL (`= ALL_ACCESS`)
 * would bypass such a mapping and arrive as the bare name.
 */
const ACCESS = {
  ALL_ACCESS: 'all-access',
  DESKTOP: 'desktop',
  MOBILE_APP: 'mobile-app',
  MOBILE_WEB: 'mobile-web',
} as const satisfies Record<string, Access>;
const AGENT = {
  ALL_AGENTS: 'all-agents',
  USER: 'user',
  SPIDER: 'spider',
  AUTOMATED: 'automated',
} as const satisfies Record<string, Agent>;

/** The day (`YYYYMMDD`) of a `YYYYMMDD` or `YYYYMMDDHH` argument. */
function parseDay(value: string, argumentName: string, allowHour = true): string {
  const shape = allowHour ? /^\d{8}(\d{2})?$/ : /^\d{8}$/;
  if (!shape.test(value) || Number.isNaN(keyToMs(value))) {
    throw badInput(
      `${argumentName} must be a UTC date as ${allowHour ? 'YYYYMMDD or YYYYMMDDHH' : 'YYYYMMDD'}, got ${JSON.stringify(value)}`,
      argumentName,
    );
  }
  return value.slice(0, 8);
}

interface PageRef {
  wikiId: string;
  namespace: number;
  title: string;
}

interface PageviewsArgs {
  start: string;
  end: string;
  granularity: 'DAILY' | 'MONTHLY';
  access: keyof typeof ACCESS;
  agent: keyof typeof AGENT;
}

/** A `PageviewPoint`, enums by their GraphQL names. */
interface Point {
  timestamp: string;
  granularity: 'DAILY' | 'MONTHLY';
  access: keyof typeof ACCESS;
  agent: keyof typeof AGENT;
  views: number;
}

/** Months summed from daily rows, as AQS does; a month without any row is left out like a day would be. */
function monthlyPoints(
  rows: readonly DailyRow[],
  args: PageviewsArgs,
  startDay: string,
  endDay: string,
): Point[] {
  const months = fullMonths(startDay, endDay);
  if (months.length === 0) {
    throw badInput(
      `granularity MONTHLY needs at least one full calendar month between ${startDay} and ${endDay}`,
      'granularity',
    );
  }
  const column = dailyColumn(ACCESS[args.access], AGENT[args.agent]);
  const points: Point[] = [];
  for (const month of months) {
    const inMonth = rows.filter(
      (r) => r.timestamp >= `${month.firstDay}00` && r.timestamp <= `${month.lastDay}00`,
    );
    if (inMonth.length === 0) continue;
    const views = inMonth.reduce((sum, r) => sum + r.counts[column], 0);
    points.push({
      timestamp: month.timestamp,
      granularity: 'MONTHLY',
      access: args.access,
      agent: args.agent,
      views,
    });
  }
  return points;
}

/**
 * True when the key's namespace agrees with its title's prefix where this
 * product can tell (namespaces.ts): pageviews are stored per prefixed title,
 * so `(namespace 1, "Foo")` must not answer with the counts of main-namespace `Foo`.
 */
function consistentKey(ref: PageRef): boolean {
  const derived = namespaceOfTitle(ref.wikiId, ref.title);
  if (derived !== 0) return derived === ref.namespace;
  return ref.namespace === 0 || ref.title.includes(':');
}

export const resolvers: GraphQLResolverMap<PageviewsContext> = {
  Query: {
    topPages: async (
      _: unknown,
      args: { wikiId: string; date: string; access: keyof typeof ACCESS; first: number },
      ctx: PageviewsContext,
    ) => {
      const project = projectOfWiki(args.wikiId);
      if (!project)
        throw badInput(`wikiId ${JSON.stringify(args.wikiId)} is not a Wikimedia wiki id`, 'wikiId');
      const day = parseDay(args.date, 'date', false);
      if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_TOP_PAGES)
        throw badInput(`first must be between 1 and ${MAX_TOP_PAGES}, got ${args.first}`, 'first');
      const rows = await ctx.store.topPages({ project, access: ACCESS[args.access], day, limit: args.first });
      return rows.map((row, i) => {
        const namespace = namespaceOfTitle(args.wikiId, row.title);
        return {
          rank: i + 1,
          views: row.views,
          title: row.title,
          namespace,
          page: { wikiId: args.wikiId, namespace, title: row.title },
        };
      });
    },
  },
  Page: {
    __resolveReference: (ref: PageRef) => ref,
    pageviews: async (page: PageRef, args: PageviewsArgs, ctx: PageviewsContext) => {
      const startDay = parseDay(args.start, 'start');
      const endDay = parseDay(args.end, 'end');
      if (endDay < startDay) throw badInput(`end ${args.end} is before start ${args.start}`, 'end');
      const days = (keyToMs(endDay) - keyToMs(startDay)) / DAY_MS + 1;
      if (days > MAX_PAGEVIEWS_RANGE_DAYS) {
        throw badInput(
          `the range ${startDay}–${endDay} spans ${days} days; at most ${MAX_PAGEVIEWS_RANGE_DAYS} are allowed`,
          'end',
        );
      }
      const project = projectOfWiki(page.wikiId);
      if (!project || !consistentKey(page)) return [];
      const rows = (await ctx.dailyRows.load({ project, title: page.title, startDay, endDay })) ?? [];
      if (args.granularity === 'MONTHLY') return monthlyPoints(rows, args, startDay, endDay);
      const column = dailyColumn(ACCESS[args.access], AGENT[args.agent]);
      return rows.map((r): Point => ({
        timestamp: r.timestamp,
        granularity: 'DAILY',
        access: args.access,
        agent: args.agent,
        views: r.counts[column],
      }));
    },
  },
};
