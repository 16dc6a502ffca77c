/**
 * Resolvers of the `editstats` subgraph: daily series of a page (on the shared
 * `Page` entity) and of a wiki, and a wiki-day's top edited pages. Arguments
 * are validated here (days.ts) with BAD_USER_INPUT errors naming the argument;
 * the store only ever sees well-formed days.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { EditStatsContext } from './context';
import { badInput } from '../../platform/graphql';
import { aqsTimestamp, parseDay, parseDayRange } from './days';
import type { DailyEditCounts, PageDayCounts } from './model';

/** Most pages a top list returns. */
export const MAX_TOP_PAGES = 100;

/** GraphQL `ID`s arrive as strings; MediaWiki page ids are positive integers. */
function parsePageId(value: unknown): number {
  const text = String(value);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw badInput(`pageId must be a positive integer id, got ${JSON.stringify(value)}`, 'pageId');
  }
  return Number(text);
}

function checkFirst(first: number | null | undefined): number {
  const n = first ?? 10;
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOP_PAGES) {
    throw badInput(`first must be between 1 and ${MAX_TOP_PAGES}, got ${n}`, 'first');
  }
  return n;
}

function toLong(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
  throw new GraphQLError(`Long cannot represent ${String(value)}: not an integer within ±2^53 − 1`);
}

export const Long = new GraphQLScalarType<number, number>({
  name: 'Long',
  description:
    "A whole number that can exceed `Int`'s 32 bits, sent as a JSON number; exact up to ±2^53 − 1.",
  serialize: toLong,
  parseValue: toLong,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT) return toLong(Number(ast.value));
    throw new GraphQLError('Long must be an integer literal');
  },
});

interface PageRef {
  wikiId: string;
  pageId: number;
}

function toPoint(p: DailyEditCounts) {
  return { ...p, timestamp: aqsTimestamp(p.day) };
}

export const resolvers: GraphQLResolverMap<EditStatsContext> = {
  Long,
  Query: {
    topEditedPages: async (
      _: unknown,
      args: { wikiId: string; date: string; first?: number | null },
      ctx: EditStatsContext,
    ) => {
      const limit = checkFirst(args.first);
      const day = parseDay(args.date, 'date');
      const pages = await ctx.store.topEditedPages({ wikiId: args.wikiId, day, limit });
      return pages.map((p: PageDayCounts, i) => ({
        ...p,
        rank: i + 1,
        page: { wikiId: args.wikiId, pageId: p.pageId } satisfies PageRef,
      }));
    },
    wikiEditStats: async (
      _: unknown,
      args: { wikiId: string; start: string; end: string },
      ctx: EditStatsContext,
    ) => {
      const range = parseDayRange(args.start, args.end);
      return (await ctx.store.wikiDailyStats({ wikiId: args.wikiId, ...range })).map(toPoint);
    },
  },
  Page: {
    // Any page has statistics (none, for a page never edited here): the reference is the page.
    __resolveReference: (ref: { wikiId: string; pageId: string | number }): PageRef => ({
      wikiId: ref.wikiId,
      pageId: parsePageId(ref.pageId),
    }),
    editStats: async (page: PageRef, args: { start: string; end: string }, ctx: EditStatsContext) => {
      const range = parseDayRange(args.start, args.end);
      const series = await ctx.pageStats.load({ wikiId: page.wikiId, pageId: page.pageId, ...range });
      return (series ?? []).map(toPoint);
    },
  },
};
