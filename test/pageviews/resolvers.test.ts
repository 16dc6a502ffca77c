/**
 * The `pageviews` subgraph's API on the real embedded store: per-article points
 * by granularity, access and agent, top pages, entity resolution through the
 * `wikiId namespace title` key with batching, and input errors.
 */
import type { HourlyCells, PageviewHour } from '../../subgraphs/pageviews/model';
import pageviews from '../../subgraphs/pageviews/product';
import { createEmbeddedPageviewsStore } from '../../subgraphs/pageviews/store/embedded';
import type { PageviewsStore } from '../../subgraphs/pageviews/store/port';
import { serveProduct, type ProductOperations } from '../harness/subgraph';

let store: PageviewsStore;
let ops: ProductOperations;
const run = (query: string, variables?: Record<string, unknown>) => ops.run(query, variables);
const data = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  ops.data<T>(query, variables);
let dailyReads: number;
let dailyKeys: number;

function hour(wikiId: string, project: string, title: string, h: string, cells: HourlyCells): PageviewHour {
  return { wikiId, project, namespace: 0, title, hour: h, cells };
}

const POINTS = `query ($reps: [_Any!]!, $start: String!, $end: String!, $granularity: PageviewGranularity,
  $access: PageviewAccess, $agent: PageviewAgent) {
  _entities(representations: $reps) {
    ... on Page {
      title
      pageviews(start: $start, end: $end, granularity: $granularity, access: $access, agent: $agent) {
        timestamp
        granularity
        access
        agent
        views
      }
    }
  }
}`;

type Points = { _entities: { title: string; pageviews: Record<string, unknown>[] }[] };

function page(title: string, namespace = 0, wikiId = 'enwiki') {
  return { __typename: 'Page', wikiId, namespace, title };
}

beforeAll(async () => {
  ops = await serveProduct(pageviews, () => store);
});

afterAll(() => ops.stop());

beforeEach(async () => {
  const embedded = createEmbeddedPageviewsStore({ retention: { hourlyDays: 0, dailyDays: 0 } });
  dailyReads = 0;
  dailyKeys = 0;
  // The real store, counting how often the resolvers reach it.
  store = {
    ...embedded,
    dailyRows: (keys) => {
      dailyReads++;
      dailyKeys += keys.length;
      return embedded.dailyRows(keys);
    },
  };
  const hours: PageviewHour[] = [];
  // Albert_Einstein: every day of January and February 2024 and 1–15 March.
  for (let d = Date.parse('2024-01-01T00:00:00Z'); d < Date.parse('2024-03-16T00:00:00Z'); d += 86_400_000) {
    const day = new Date(d).toISOString().slice(0, 10).replace(/-/g, '');
    hours.push(
      hour('enwiki', 'en.wikipedia', 'Albert_Einstein', `${day}10`, { du: 10, ds: 1, mwu: 20, mau: 3 }),
      hour('enwiki', 'en.wikipedia', 'Albert_Einstein', `${day}11`, { du: 5, mwb: 2 }),
    );
  }
  hours.push(
    hour('enwiki', 'en.wikipedia', 'Talk:Albert_Einstein', '2024010110', { du: 4 }),
    hour('dewiki', 'de.wikipedia', 'Diskussion:Berlin', '2024010110', { du: 6 }),
    hour('enwiki', 'en.wikipedia', 'Photosynthesis', '2024010110', { du: 7, mwu: 1 }),
    hour('enwiki', 'en.wikipedia', 'Zero', '2024010110', { ds: 9 }),
  );
  await store.writeHours(hours);
});

describe('Page.pageviews', () => {
  it('gives daily user views over all access methods by default, oldest first', async () => {
    const d = await data<Points>(POINTS, {
      reps: [page('Albert_Einstein')],
      start: '20240130',
      end: '20240202',
    });
    expect(d._entities[0]!.pageviews).toEqual(
      ['2024013000', '2024013100', '2024020100', '2024020200'].map((timestamp) => ({
        timestamp,
        granularity: 'DAILY',
        access: 'ALL_ACCESS',
        agent: 'USER',
        views: 38,
      })),
    );
  });

  it.each([
    ['DESKTOP', 'USER', 15],
    ['DESKTOP', 'ALL_AGENTS', 16],
    ['MOBILE_WEB', 'AUTOMATED', 2],
    ['MOBILE_APP', 'USER', 3],
    ['ALL_ACCESS', 'SPIDER', 1],
    ['ALL_ACCESS', 'ALL_AGENTS', 41],
  ])('picks the %s × %s column', async (access, agent, views) => {
    const d = await data<Points>(POINTS, {
      reps: [page('Albert_Einstein')],
      start: '2024010500',
      end: '2024010523',
      access,
      agent,
    });
    expect(d._entities[0]!.pageviews.map((p) => p.views)).toEqual([views]);
  });

  it('sums full calendar months only, like AQS', async () => {
    const d = await data<Points>(POINTS, {
      reps: [page('Albert_Einstein')],
      start: '20231215',
      end: '20240331',
      granularity: 'MONTHLY',
    });
    // December has no data, March is not over inside the range... but the range ends 0331: March is full,
    // with data for 15 days only.
    expect(d._entities[0]!.pageviews.map((p) => [p.timestamp, p.granularity, p.views])).toEqual([
      ['2024010100', 'MONTHLY', 31 * 38],
      ['2024020100', 'MONTHLY', 29 * 38],
      ['2024030100', 'MONTHLY', 15 * 38],
    ]);
  });

  it('refuses MONTHLY over a range without a full month', async () => {
    const result = await run(POINTS, {
      reps: [page('Albert_Einstein')],
      start: '20240102',
      end: '20240215',
      granularity: 'MONTHLY',
    });
    expect(result.errors?.[0]?.message).toContain('full calendar month');
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argumentName: 'granularity',
    });
  });

  it.each([
    ['2024-01-01', '20240102', 'start'],
    ['20240230', '20240301', 'start'],
    ['20240101', '2024010124', 'end'],
    ['20240101', '202401', 'end'],
    ['20240105', '20240101', 'end'],
  ])('refuses start %j end %j naming %s', async (start, end, argumentName) => {
    const result = await run(POINTS, { reps: [page('Albert_Einstein')], start, end });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
  });

  it('refuses a range over 3660 days by arithmetic, before reading or walking it', async () => {
    for (const granularity of ['DAILY', 'MONTHLY']) {
      const started = performance.now();
      const result = await run(POINTS, {
        reps: [page('Albert_Einstein')],
        start: '19700101',
        end: '99991231',
        granularity,
      });
      expect(result.errors?.[0]?.message).toBe(
        'the range 19700101–99991231 spans 2932897 days; at most 3660 are allowed',
      );
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'end' });
      // It walked 8.9 s of months before; a sanity bound, not a timing target.
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    // Exactly 3660 days, 2015-01-01 to 2025-01-07 inclusive, is allowed.
    const longest = await run(POINTS, {
      reps: [page('Albert_Einstein')],
      start: '20150101',
      end: '20250107',
    });
    expect(longest.errors).toBeUndefined();
  });

  it('keys by prefixed title and refuses a namespace the prefix contradicts', async () => {
    const d = await data<Points>(POINTS, {
      reps: [
        page('Talk:Albert_Einstein', 1),
        page('Talk:Albert_Einstein', 0),
        page('Albert_Einstein', 1),
        page('Diskussion:Berlin', 1, 'dewiki'),
        page('Albert_Einstein', 0, 'nosuchwiki_x'),
      ],
      start: '20240101',
      end: '20240101',
    });
    expect(d._entities.map((e) => e.pageviews.map((p) => p.views))).toEqual([[4], [], [], [6], []]);
  });

  it('reads the store once for a whole list of pages, each page and range once', async () => {
    const reps = ['Albert_Einstein', 'Photosynthesis', 'Talk:Albert_Einstein', 'Missing'].map((t) =>
      page(t, t.startsWith('Talk:') ? 1 : 0),
    );
    const query = `query ($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Page {
          a: pageviews(start: "20240101", end: "20240101") { views }
          b: pageviews(start: "20240101", end: "20240101", access: DESKTOP) { views }
          c: pageviews(start: "20240101", end: "20240102") { views }
        }
      }
    }`;
    const d = await data<{ _entities: { a: { views: number }[] }[] }>(query, { reps });
    expect(d._entities.map((e) => e.a.map((p) => p.views))).toEqual([[38], [8], [4], []]);
    expect(dailyReads).toBe(1);
    // a and b share a range; the namespace-0 `Missing` page is still read (it could have views).
    expect(dailyKeys).toBe(8);
  });
});

describe('Query.topPages', () => {
  const TOP = `query ($wikiId: String!, $date: String!, $access: PageviewAccess, $first: Int) {
    topPages(wikiId: $wikiId, date: $date, access: $access, first: $first) {
      rank
      views
      title
      namespace
      page { wikiId namespace title }
    }
  }`;

  it('ranks a day by user views with the pages’ keys', async () => {
    const d = await data<{ topPages: unknown[] }>(TOP, { wikiId: 'enwiki', date: '20240101' });
    expect(d.topPages).toEqual([
      ...[
        [38, 0, 'Albert_Einstein'],
        [8, 0, 'Photosynthesis'],
        [4, 1, 'Talk:Albert_Einstein'],
      ].map(([views, namespace, title], i) => ({
        rank: i + 1,
        views,
        title,
        namespace,
        page: { wikiId: 'enwiki', namespace, title },
      })),
    ]);
    const desktop = await data<{ topPages: { views: number }[] }>(TOP, {
      wikiId: 'enwiki',
      date: '20240101',
      access: 'DESKTOP',
      first: 1,
    });
    expect(desktop.topPages.map((t) => t.views)).toEqual([15]);
  });

  it.each([
    [{ wikiId: 'nosuchwiki_x', date: '20240101' }, 'wikiId'],
    [{ wikiId: 'enwiki', date: '2024010100' }, 'date'],
    [{ wikiId: 'enwiki', date: '20241301' }, 'date'],
    [{ wikiId: 'enwiki', date: '20240101', first: 0 }, 'first'],
    [{ wikiId: 'enwiki', date: '20240101', first: 1001 }, 'first'],
  ])('refuses %j naming %s', async (variables, argumentName) => {
    const result = await run(TOP, variables);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
  });
});
