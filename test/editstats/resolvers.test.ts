/**
 * The `editstats` subgraph's API on the real embedded store: the `Page`
 * extension (as the gateway calls it, through `_entities`), per-wiki series,
 * top lists, 64-bit net bytes, batching of page series, and input errors.
 */
import editstats from '../../subgraphs/editstats/product';
import { Long } from '../../subgraphs/editstats/resolvers';
import { createEmbeddedEditStatsStore } from '../../subgraphs/editstats/store/embedded';
import type { EditStatsStore } from '../../subgraphs/editstats/store/port';
import { EditHistory } from './history';
import { countingStore, serveProduct, type ProductOperations } from '../harness/subgraph';

let store: EditStatsStore;
let ops: ProductOperations;
const run = (query: string, variables?: Record<string, unknown>) => ops.run(query, variables);
const data = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  ops.data<T>(query, variables);
let calls: Record<string, number>;
const h = new EditHistory('enwiki', { seed: 31, meanGapMs: 30 * 60_000 }).run(400);

const ts = (day: string) => `${day}00`;

beforeAll(async () => {
  ops = await serveProduct(editstats, () => store);
  const real = createEmbeddedEditStatsStore();
  await editstats.streams[0]!.apply(real, h.valid());
  ({ store, calls } = countingStore(real));
});

beforeEach(() => {
  for (const method of Object.keys(calls)) delete calls[method];
});

afterAll(() => ops.stop());

const ENTITIES = `query ($reps: [_Any!]!, $start: String!, $end: String!) {
  _entities(representations: $reps) {
    ... on Page { wikiId pageId editStats(start: $start, end: $end) { timestamp edits registeredEdits anonymousEdits botEdits netBytes } }
  }
}`;

type Point = {
  timestamp: string;
  edits: number;
  registeredEdits: number;
  anonymousEdits: number;
  botEdits: number;
  netBytes: number;
};

describe('Page.editStats', () => {
  it("answers the gateway's entity references with each page's daily series, in one store read", async () => {
    const reps = h.pages.map((p) => ({ __typename: 'Page', wikiId: 'enwiki', pageId: String(p.pageId) }));
    const days = h.days();
    const { _entities } = await data<{ _entities: { pageId: string; editStats: Point[] }[] }>(ENTITIES, {
      reps,
      start: ts(days[0]!),
      end: ts(days[days.length - 1]!),
    });
    expect(_entities).toEqual(
      h.pages.map((p) => ({
        wikiId: 'enwiki',
        pageId: String(p.pageId),
        editStats: h.pageSeries(p.pageId).map(({ day, ...c }) => ({ timestamp: ts(day), ...c })),
      })),
    );
    expect(reps.length).toBeGreaterThan(20);
    expect(calls).toEqual({ pageDailyStats: 1 });
  });

  it('is empty for a page never edited here, and for a range without edits', async () => {
    const { _entities } = await data<{ _entities: { editStats: Point[] }[] }>(ENTITIES, {
      reps: [
        { __typename: 'Page', wikiId: 'enwiki', pageId: '999999' },
        { __typename: 'Page', wikiId: 'enwiki', pageId: String(h.pages[0]!.pageId) },
      ],
      start: '2025010100',
      end: '2025123100',
    });
    expect(_entities.map((e) => e.editStats)).toEqual([[], []]);
  });

  it.each([
    [{ start: '2026-01-01', end: '2026013100' }, 'start', 'start must be a UTC date'],
    [{ start: '2026010100', end: '2026022900' }, 'end', 'end must be a UTC date'],
    [{ start: '2026020100', end: '2026013100' }, 'end', 'end (2026013100) is before start (2026020100)'],
    [{ start: '2000010100', end: '2026013100' }, 'end', 'at most 3660 are allowed'],
  ])('refuses %j naming the argument', async (args, argumentName, message) => {
    const result = await run(ENTITIES, {
      reps: [{ __typename: 'Page', wikiId: 'enwiki', pageId: '1' }],
      ...args,
    });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.message).toContain(message);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
  });

  it('refuses a reference whose page id is not a positive integer', async () => {
    const result = await run(ENTITIES, {
      reps: [{ __typename: 'Page', wikiId: 'enwiki', pageId: 'x1' }],
      start: '20260101',
      end: '20260131',
    });
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'pageId' });
  });
});

describe('Query.wikiEditStats', () => {
  it("answers a wiki's daily series, AQS timestamps, inclusive bounds, days without edits left out", async () => {
    const days = h.days();
    const [first, second] = [days[0]!, days[1]!];
    const { wikiEditStats } = await data<{ wikiEditStats: Point[] }>(
      `{ wikiEditStats(wikiId: "enwiki", start: "${first}", end: "${second}23") { timestamp edits registeredEdits anonymousEdits botEdits netBytes } }`,
    );
    expect(wikiEditStats).toEqual(
      h.wikiSeries(first, second).map(({ day, ...c }) => ({ timestamp: ts(day), ...c })),
    );
    expect(wikiEditStats).toHaveLength(2);
    const none = await data<{ wikiEditStats: Point[] }>(
      '{ wikiEditStats(wikiId: "dewiki", start: "20260101", end: "20260131") { edits } }',
    );
    expect(none.wikiEditStats).toEqual([]);
  });
});

describe('Query.topEditedPages', () => {
  const TOP = `query ($date: String!, $first: Int) {
    topEditedPages(wikiId: "enwiki", date: $date, first: $first) {
      rank page { wikiId pageId } edits registeredEdits anonymousEdits botEdits netBytes
    }
  }`;

  it('ranks a day’s pages, with the page reference the gateway resolves', async () => {
    const day = h.days()[1]!;
    const { topEditedPages } = await data<{ topEditedPages: Record<string, unknown>[] }>(TOP, {
      date: `${day}07`,
      first: 3,
    });
    expect(topEditedPages).toEqual(
      h.top(day, 3).map(({ pageId, ...c }, i) => ({
        rank: i + 1,
        page: { wikiId: 'enwiki', pageId: String(pageId) },
        ...c,
      })),
    );
  });

  it('returns 10 by default', async () => {
    const busiest = [...h.days()].sort((a, b) => h.top(b, 1000).length - h.top(a, 1000).length)[0]!;
    expect(h.top(busiest, 1000).length).toBeGreaterThan(10);
    const { topEditedPages } = await data<{ topEditedPages: { page: { pageId: string } }[] }>(
      `{ topEditedPages(wikiId: "enwiki", date: "${busiest}") { page { pageId } } }`,
    );
    expect(topEditedPages.map((p) => Number(p.page.pageId))).toEqual(h.top(busiest, 10).map((p) => p.pageId));
  });

  it.each([0, 101, -1])('refuses first: %d', async (first) => {
    const result = await run(TOP, { date: '20260101', first });
    expect(result.errors![0]).toMatchObject({
      message: `first must be between 1 and 100, got ${first}`,
      extensions: { code: 'BAD_USER_INPUT', argumentName: 'first' },
    });
  });

  it('refuses a date that is not one', async () => {
    const result = await run(TOP, { date: '20260230' });
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'date' });
  });
});

describe('Long', () => {
  it('carries net bytes beyond 32 bits as exact JSON numbers', async () => {
    const big = createEmbeddedEditStatsStore();
    const edits = [1, 2, 3].map((revId) => ({
      wikiId: 'bigwiki',
      pageId: 1,
      revId,
      day: '20260101',
      editorKind: 'bot' as const,
      netBytes: 2 ** 31 + revId,
    }));
    await big.applyEdits(edits);
    const onBig = await serveProduct(editstats, () => big);
    const res = await onBig
      .run('{ wikiEditStats(wikiId: "bigwiki", start: "20260101", end: "20260101") { netBytes } }')
      .finally(() => onBig.stop());
    expect(res.data).toEqual({
      wikiEditStats: [{ netBytes: 3 * 2 ** 31 + 6 }],
    });
  });

  it('refuses what a JSON number cannot carry exactly', () => {
    expect(Long.serialize(2 ** 53 - 1)).toBe(2 ** 53 - 1);
    expect(Long.serialize(-5n)).toBe(-5);
    expect(() => Long.serialize(2 ** 53)).toThrow('not an integer within ±2^53 − 1');
    expect(() => Long.serialize(1.5)).toThrow();
    expect(() => Long.serialize('12')).toThrow();
  });
});
