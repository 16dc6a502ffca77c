/**
 * One contract for every `PageviewsStore` adapter, run against the embedded
 * store and a real Cassandra: what a history of hourly counts leaves behind
 * (hours, AQS daily rows, top pages) must be what the counts themselves say,
 * whatever the batching, duplication, redelivery or concurrency of the writes.
 * Expected values are computed here from the history, cell by cell, not by the
 * code under test.
 *
 * Tests isolate themselves by project, so one store (one keyspace) serves a file.
 */
import { randomBytes } from 'node:crypto';
import type { SdpConfig } from '../../config/env';
import {
  HOURLY_COLUMNS,
  type DailyCounts,
  type HourlyCells,
  type HourlyColumn,
  type PageviewHour,
} from '../../subgraphs/pageviews/model';
import { DAY_MS, hourOf, keyToMs } from '../../subgraphs/pageviews/timestamps';
import { openCassandraSession, type CassandraSession } from '../../platform/cassandra';
import {
  createCassandraPageviewsStore,
  openCassandraPageviewsStore,
} from '../../subgraphs/pageviews/store/cassandra';
import { PAGEVIEWS_MIGRATIONS, PAGEVIEWS_PRODUCT } from '../../subgraphs/pageviews/store/migrations';
import { createEmbeddedPageviewsStore } from '../../subgraphs/pageviews/store/embedded';
import { MAX_TOP_PAGES, type PageviewsStore } from '../../subgraphs/pageviews/store/port';
import type { Retention } from '../../subgraphs/pageviews/retention';
import { dropTestKeyspaces, testCassandraConfig } from '../harness/cassandra';
import { prng } from '../fixtures/random';

const FOREVER: Retention = { hourlyDays: 0, dailyDays: 0 };

let projectSeq = 0;
/** A project no other test writes to. */
function freshProject(): string {
  return `t${randomBytes(3).toString('hex')}${projectSeq++}.wikipedia`;
}

function hour(project: string, title: string, h: string, cells: HourlyCells): PageviewHour {
  return { wikiId: 'testwiki', project, namespace: 0, title, hour: h, cells };
}

/** The AQS daily columns of a day, from its final cells, written out column by column. */
function expectedDaily(hours: HourlyCells[]): DailyCounts {
  const sum = (c: HourlyColumn) => hours.reduce((s, h) => s + (h[c] ?? 0), 0);
  const [du, ds, db, mau, mas, mab, mwu, mws, mwb] = HOURLY_COLUMNS.map(sum) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    aa: du + ds + db + mau + mas + mab + mwu + mws + mwb,
    ab: db + mab + mwb,
    as: ds + mas + mws,
    au: du + mau + mwu,
    da: du + ds + db,
    db,
    ds,
    du,
    maa: mau + mas + mab,
    mab,
    mas,
    mau,
    mwa: mwu + mws + mwb,
    mwb,
    mws,
    mwu,
  };
}

/** Final cells of every article-hour of a history applied in order: the last measurement of each cell. */
function finalCells(history: readonly PageviewHour[]): Map<string, HourlyCells> {
  const out = new Map<string, HourlyCells>();
  for (const h of history) {
    const key = `${h.title}\u0000${h.hour}`;
    const cells = out.get(key) ?? {};
    for (const c of HOURLY_COLUMNS) if (h.cells[c] !== undefined) cells[c] = h.cells[c];
    out.set(key, cells);
  }
  return out;
}

/** The daily counts of one article-day, undefined when there is no row. */
async function dayOf(
  store: PageviewsStore,
  project: string,
  title: string,
  day: string,
): Promise<DailyCounts | undefined> {
  const [rows] = await store.dailyRows([{ project, title, startDay: day, endDay: day }]);
  return rows?.[0]?.counts;
}

interface Adapter {
  name: string;
  open(retention: Retention): Promise<PageviewsStore>;
}

let cassandraConfig: SdpConfig | undefined;
const opened: PageviewsStore[] = [];

const adapters: Adapter[] = [
  {
    name: 'embedded',
    open: async (retention) => createEmbeddedPageviewsStore({ retention }),
  },
  {
    name: 'cassandra',
    open: async (retention) => {
      cassandraConfig ??= testCassandraConfig();
      // One keyspace for the file whatever the retention: tests are isolated by project.
      return openCassandraPageviewsStore(cassandraConfig, { retention });
    },
  },
];

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  if (cassandraConfig) await dropTestKeyspaces(cassandraConfig);
});

describe.each(adapters)('PageviewsStore contract: $name', (adapter) => {
  let store: PageviewsStore;

  beforeAll(async () => {
    store = await adapter.open(FOREVER);
    opened.push(store);
  });

  it('stores hours and sums each day into all sixteen AQS columns', async () => {
    const p = freshProject();
    const day1 = [
      { du: 1, ds: 2, db: 3, mau: 4, mas: 5, mab: 6, mwu: 7, mws: 8, mwb: 9 },
      { du: 10, mwu: 20 },
    ];
    const result = await store.writeHours([
      hour(p, 'Foo', '2024010100', day1[0]!),
      hour(p, 'Foo', '2024010123', day1[1]!),
      hour(p, 'Foo', '2024010200', { mau: 5 }),
      hour(p, 'Bar', '2024010105', { du: 99 }),
    ]);
    expect(result).toEqual({ written: 4, expired: 0 });

    const [foo, bar, none] = await store.dailyRows([
      { project: p, title: 'Foo', startDay: '20240101', endDay: '20240102' },
      { project: p, title: 'Bar', startDay: '20240101', endDay: '20240101' },
      { project: p, title: 'Nope', startDay: '20240101', endDay: '20240131' },
    ]);
    expect(foo).toEqual([
      { timestamp: '2024010100', counts: expectedDaily(day1) },
      { timestamp: '2024010200', counts: expectedDaily([{ mau: 5 }]) },
    ]);
    expect(bar).toEqual([{ timestamp: '2024010100', counts: expectedDaily([{ du: 99 }]) }]);
    expect(none).toEqual([]);

    const [hours] = await store.hourlyRows([
      { project: p, title: 'Foo', startHour: '2024010101', endHour: '2024010200' },
    ]);
    expect(hours).toEqual([
      { hour: '2024010123', cells: day1[1] },
      { hour: '2024010200', cells: { mau: 5 } },
    ]);
  });

  it('reads day ranges inclusively and only within them', async () => {
    const p = freshProject();
    const days = ['20231230', '20231231', '20240101', '20240102', '20240103'];
    await store.writeHours(days.map((d, i) => hour(p, 'Foo', `${d}12`, { du: i + 1 })));
    const [rows] = await store.dailyRows([
      { project: p, title: 'Foo', startDay: '20231231', endDay: '20240102' },
    ]);
    expect(rows!.map((r) => [r.timestamp, r.counts.du])).toEqual([
      ['2023123100', 2],
      ['2024010100', 3],
      ['2024010200', 4],
    ]);
  });

  it('replaces measured cells, keeps unmeasured ones, and lets the later of one batch win', async () => {
    const p = freshProject();
    await store.writeHours([hour(p, 'Foo', '2024010100', { du: 5, ds: 6, mwu: 7 })]);
    await store.writeHours([
      hour(p, 'Foo', '2024010100', { du: 50 }),
      hour(p, 'Foo', '2024010100', { du: 51, ds: 0 }),
    ]);
    const [hours] = await store.hourlyRows([
      { project: p, title: 'Foo', startHour: '2024010100', endHour: '2024010100' },
    ]);
    expect(hours).toEqual([{ hour: '2024010100', cells: { du: 51, ds: 0, mwu: 7 } }]);
    expect(await dayOf(store, p, 'Foo', '20240101')).toEqual(expectedDaily([{ du: 51, ds: 0, mwu: 7 }]));
  });

  it('ends in the state the history says, whatever the batching, duplication and redelivery', async () => {
    const p = freshProject();
    const random = prng(20241123);
    const titles = Array.from({ length: 12 }, (_, i) => `Article_${i}`);
    const history: PageviewHour[] = [];
    for (let i = 0; i < 400; i++) {
      const cells: HourlyCells = {};
      for (const c of HOURLY_COLUMNS) if (random() < 0.4) cells[c] = Math.floor(random() * 1000);
      if (Object.keys(cells).length === 0) cells.du = 1;
      const day = `202402${String(1 + Math.floor(random() * 3)).padStart(2, '0')}`;
      const h = `${day}${String(Math.floor(random() * 24)).padStart(2, '0')}`;
      history.push(hour(p, titles[Math.floor(random() * titles.length)]!, h, cells));
    }
    // Delivered in uneven batches, each batch redelivered with probability ½ (a
    // consumer restart before commit), some batches redelivered with the next.
    let at = 0;
    while (at < history.length) {
      const size = 1 + Math.floor(random() * 40);
      const batch = history.slice(at, at + size);
      await store.writeHours(batch);
      if (random() < 0.5) await store.writeHours(batch);
      if (random() < 0.2) await store.writeHours(history.slice(Math.max(0, at - 10), at + size));
      at += size;
    }

    const expected = finalCells(history);
    const snapshot = async () => {
      const hourly = await store.hourlyRows(
        titles.map((title) => ({ project: p, title, startHour: '2024020100', endHour: '2024020323' })),
      );
      const daily = await store.dailyRows(
        titles.map((title) => ({ project: p, title, startDay: '20240101', endDay: '20240331' })),
      );
      const query = { project: p, access: 'all-access' as const, day: '20240202', limit: 5 };
      const top = await store.topPages(query);
      expect(top).toEqual(await store.scanTopPages(query));
      return { hourly, daily, top };
    };
    const state = await snapshot();
    for (const [i, title] of titles.entries()) {
      const mine = [...expected].filter(([k]) => k.startsWith(`${title}\u0000`));
      expect(state.hourly[i]).toEqual(
        mine
          .map(([k, cells]) => ({ hour: k.split('\u0000')[1]!, cells }))
          .sort((a, b) => (a.hour < b.hour ? -1 : 1)),
      );
      const days = [...new Set(mine.map(([k]) => k.split('\u0000')[1]!.slice(0, 8)))].sort();
      expect(state.daily[i]).toEqual(
        days.map((d) => ({
          timestamp: `${d}00`,
          counts: expectedDaily(mine.filter(([k]) => k.split('\u0000')[1]!.startsWith(d)).map(([, c]) => c)),
        })),
      );
    }

    // The whole history once more, in one batch: every count and every row unchanged.
    await store.writeHours(history);
    expect(await snapshot()).toEqual(state);
  });

  it('ends with the whole day when its hours are written concurrently', async () => {
    const p = freshProject();
    // 24 concurrent writers, one hour each, of one article-day.
    const hours = Array.from({ length: 24 }, (_, h) => ({ du: h + 1, mwu: 2 * h }));
    await Promise.all(
      hours.map((cells, h) =>
        store.writeHours([hour(p, 'Busy', `20240301${String(h).padStart(2, '0')}`, cells)]),
      ),
    );
    expect(await dayOf(store, p, 'Busy', '20240301')).toEqual(expectedDaily(hours));
    const [top] = await store.topPages({ project: p, access: 'desktop', day: '20240301', limit: 1 });
    expect(top).toEqual({ title: 'Busy', views: expectedDaily(hours).du });
  });

  it('ranks a day’s articles by user views per access method', async () => {
    const p = freshProject();
    // Enough articles to land in every bucket of a bucketed store.
    const writes: PageviewHour[] = [];
    for (let i = 0; i < 60; i++) {
      writes.push(hour(p, `A${String(i).padStart(2, '0')}`, '2024040110', { du: i, mwu: 60 - i, ds: 1000 }));
    }
    writes.push(hour(p, 'Spidered', '2024040110', { ds: 100000, mws: 100000 }));
    writes.push(hour(p, 'OtherDay', '2024040210', { du: 100000 }));
    await store.writeHours(writes);

    const desktop = await store.topPages({ project: p, access: 'desktop', day: '20240401', limit: 3 });
    expect(desktop).toEqual([
      { title: 'A59', views: 59 },
      { title: 'A58', views: 58 },
      { title: 'A57', views: 57 },
    ]);
    const mobile = await store.topPages({ project: p, access: 'mobile-web', day: '20240401', limit: 2 });
    expect(mobile).toEqual([
      { title: 'A00', views: 60 },
      { title: 'A01', views: 59 },
    ]);
    // All access: every article has 60 user views; ties are ranked by title; no zero rows.
    const all = await store.topPages({
      project: p,
      access: 'all-access',
      day: '20240401',
      limit: MAX_TOP_PAGES,
    });
    expect(all).toHaveLength(60);
    expect(all.slice(0, 2)).toEqual([
      { title: 'A00', views: 60 },
      { title: 'A01', views: 60 },
    ]);
    expect(await store.topPages({ project: p, access: 'mobile-app', day: '20240401', limit: 10 })).toEqual(
      [],
    );
    expect(await store.topPages({ project: p, access: 'desktop', day: '20240403', limit: 10 })).toEqual([]);
    await expect(
      store.topPages({ project: p, access: 'desktop', day: '20240401', limit: 1001 }),
    ).rejects.toThrow(RangeError);
  });

  it('a correction downwards replaces the ranking entry too', async () => {
    const p = freshProject();
    await store.writeHours([hour(p, 'X', '2024050100', { du: 100 }), hour(p, 'Y', '2024050100', { du: 50 })]);
    await store.writeHours([hour(p, 'X', '2024050100', { du: 10 })]);
    expect(await store.topPages({ project: p, access: 'desktop', day: '20240501', limit: 5 })).toEqual([
      { title: 'Y', views: 50 },
      { title: 'X', views: 10 },
    ]);
  });

  it('moves an article up the day’s and the month’s lists when a later hour arrives', async () => {
    const p = freshProject();
    await store.writeHours([
      hour(p, 'Early', '2024060100', { du: 30 }),
      hour(p, 'Late', '2024060100', { du: 10 }),
      hour(p, 'Other', '2024060100', { du: 20 }),
      hour(p, 'Late', '2024060210', { du: 100 }),
    ]);
    const day = { project: p, access: 'desktop' as const, day: '20240601', limit: 3 };
    expect(await store.topPages(day)).toEqual([
      { title: 'Early', views: 30 },
      { title: 'Other', views: 20 },
      { title: 'Late', views: 10 },
    ]);
    // A later hour of the same day: Late overtakes both, on the day's and the month's lists.
    await store.writeHours([hour(p, 'Late', '2024060123', { du: 25 })]);
    expect(await store.topPages(day)).toEqual([
      { title: 'Late', views: 35 },
      { title: 'Early', views: 30 },
      { title: 'Other', views: 20 },
    ]);
    expect(await store.topPages({ ...day, access: 'all-access' })).toEqual(await store.topPages(day));
    expect(await store.topPagesOfMonth({ project: p, access: 'desktop', month: '202406', limit: 5 })).toEqual(
      [
        { title: 'Late', views: 135 },
        { title: 'Early', views: 30 },
        { title: 'Other', views: 20 },
      ],
    );
    expect(await store.topPagesOfMonth({ project: p, access: 'desktop', month: '202405', limit: 5 })).toEqual(
      [],
    );
    expect(await store.scanTopPages(day)).toEqual(await store.topPages(day));
  });

  it('keeps the first 1000 of a full list exact through raises, new entries and corrections downwards', async () => {
    const p = freshProject();
    const d = '2024080112';
    // 1,100 articles: 100 stay outside the list of 1000.
    const first = Array.from({ length: 1100 }, (_, i) =>
      hour(p, `T${String(i).padStart(4, '0')}`, d, { du: i + 1 }),
    );
    await store.writeHours(first);
    const query = { project: p, access: 'desktop' as const, day: '20240801', limit: MAX_TOP_PAGES };
    const top = await store.topPages(query);
    expect(top).toHaveLength(1000);
    expect(top[0]).toEqual({ title: 'T1099', views: 1100 });
    expect(top[999]).toEqual({ title: 'T0100', views: 101 });
    // A listed article drops below the old tail, so an outsider (T0099, 100 views) must
    // take its place: the list cannot know that on its own and is rebuilt.
    await store.writeHours([hour(p, 'T0500', d, { du: 1 })]);
    const dropped = await store.topPages(query);
    expect(dropped).toEqual(await store.scanTopPages(query));
    expect(dropped.map((r) => r.title)).not.toContain('T0500');
    expect(dropped[999]).toEqual({ title: 'T0099', views: 100 });
    // An article outside enters at the top and pushes the tail out.
    await store.writeHours([hour(p, 'T0000', d, { du: 5000 })]);
    const raised = await store.topPages(query);
    expect(raised).toEqual(await store.scanTopPages(query));
    expect(raised[0]).toEqual({ title: 'T0000', views: 5000 });
    expect(raised[999]).toEqual({ title: 'T0100', views: 101 });
  });

  describe('with retention', () => {
    let limited: PageviewsStore;
    beforeAll(async () => {
      limited = await adapter.open({ hourlyDays: 30, dailyDays: 60 });
      opened.push(limited);
    });

    it('does not write hours whose day is past hourly retention', async () => {
      const p = freshProject();
      const today = hourOf(Date.now()).slice(0, 8);
      const old = hourOf(Date.now() - 40 * DAY_MS).slice(0, 8);
      const result = await limited.writeHours([
        hour(p, 'Foo', `${today}00`, { du: 1 }),
        hour(p, 'Foo', `${old}00`, { du: 2 }),
      ]);
      expect(result).toEqual({ written: 1, expired: 1 });
      const [rows] = await limited.dailyRows([{ project: p, title: 'Foo', startDay: old, endDay: today }]);
      expect(rows!.map((r) => r.timestamp)).toEqual([`${today}00`]);
      expect(keyToMs(today)).toBeGreaterThan(keyToMs(old));
    });
  });
});

describe('Cassandra daily recomputation', () => {
  it('keeps the sum over the newer hours when a stale recomputation lands last', async () => {
    cassandraConfig ??= testCassandraConfig();
    const session = await openCassandraSession(cassandraConfig, PAGEVIEWS_PRODUCT, PAGEVIEWS_MIGRATIONS);
    // The real session, with writer A's daily-row write held back until writer B has finished:
    // A read the day with one hour, B with two, and A's write reaches Cassandra last.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reachedDailyWrite!: () => void;
    const aReadTheDay = new Promise<void>((resolve) => (reachedDailyWrite = resolve));
    const delayed: CassandraSession = {
      ...session,
      execute: async (cql, params, options) => {
        if (cql.startsWith('INSERT INTO per_article_flat')) {
          reachedDailyWrite();
          await held;
        }
        return session.execute(cql, params, options);
      },
    };
    const a = createCassandraPageviewsStore(delayed, { retention: FOREVER });
    const b = createCassandraPageviewsStore(session, { retention: FOREVER });
    try {
      const p = freshProject();
      const writingA = a.writeHours([hour(p, 'Raced', '2024060100', { du: 1 })]);
      await aReadTheDay;
      await b.writeHours([hour(p, 'Raced', '2024060101', { du: 10 })]);
      release();
      await writingA;
      expect((await dayOf(b, p, 'Raced', '20240601'))?.du).toBe(11);
    } finally {
      release();
      await session.close();
    }
  });
});

describe('Cassandra top lists', () => {
  it('ranks a day written before the lists existed from its ranking input, and an empty day as empty', async () => {
    cassandraConfig ??= testCassandraConfig();
    const session = await openCassandraSession(cassandraConfig, PAGEVIEWS_PRODUCT, PAGEVIEWS_MIGRATIONS);
    const store = createCassandraPageviewsStore(session, { retention: FOREVER });
    try {
      const p = freshProject();
      // What a version-1 store wrote: ranking entries, no list.
      for (const [article, views, bucket] of [
        ['Old_a', 5, 1],
        ['Old_b', 9, 7],
      ] as const)
        await session.execute(
          'INSERT INTO top_daily (project, access, day, bucket, article, views) VALUES (?, ?, ?, ?, ?, ?)',
          [p, 'desktop', '20230101', bucket, article, views],
        );
      const query = { project: p, access: 'desktop' as const, day: '20230101', limit: 10 };
      expect(await store.topPages(query)).toEqual([
        { title: 'Old_b', views: 9 },
        { title: 'Old_a', views: 5 },
      ]);
      expect(await store.topPages({ ...query, day: '20230102' })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('Cassandra paging', () => {
  it('reads rankings and day ranges a few rows per page, with the same answers', async () => {
    cassandraConfig ??= testCassandraConfig();
    const session = await openCassandraSession(cassandraConfig, PAGEVIEWS_PRODUCT, PAGEVIEWS_MIGRATIONS);
    const paged = createCassandraPageviewsStore(session, { retention: FOREVER, fetchSize: 3 });
    try {
      const p = freshProject();
      const writes = Array.from({ length: 80 }, (_, i) => hour(p, `P${i}`, '2024070110', { du: i + 1 }));
      for (let d = 1; d <= 20; d++)
        writes.push(hour(p, 'Long', `202407${String(d).padStart(2, '0')}05`, { du: d }));
      await paged.writeHours(writes);
      const top = await paged.topPages({ project: p, access: 'desktop', day: '20240701', limit: 5 });
      expect(top.map((t) => t.views)).toEqual([80, 79, 78, 77, 76]);
      const [rows] = await paged.dailyRows([
        { project: p, title: 'Long', startDay: '20240703', endDay: '20240718' },
      ]);
      expect(rows!.map((r) => r.counts.du)).toEqual(Array.from({ length: 16 }, (_, i) => i + 3));
    } finally {
      await paged.close();
    }
  });
});

describe('Cassandra TTLs', () => {
  it('writes every row of a day with the TTL retention gives that day', async () => {
    cassandraConfig ??= testCassandraConfig();
    const store = await openCassandraPageviewsStore(cassandraConfig, {
      retention: { hourlyDays: 30, dailyDays: 60 },
    });
    opened.push(store);
    const session = await openCassandraSession(cassandraConfig, PAGEVIEWS_PRODUCT, PAGEVIEWS_MIGRATIONS);
    try {
      const p = freshProject();
      const day = hourOf(Date.now() - 2 * DAY_MS).slice(0, 8);
      const before = Date.now();
      await store.writeHours([hour(p, 'Foo', `${day}05`, { du: 1 })]);
      const after = Date.now();
      const dayEnd = keyToMs(day) + DAY_MS;
      const within = (ttl: number, days: number) => {
        // The TTL is fixed by the day, not by when the row was written: bounded by the write's start and end.
        expect(ttl).toBeLessThanOrEqual(Math.ceil((dayEnd + days * DAY_MS - before) / 1000));
        expect(ttl).toBeGreaterThanOrEqual(Math.floor((dayEnd + days * DAY_MS - after) / 1000) - 2);
      };
      const hourly = await session.execute(
        'SELECT TTL(du) AS t FROM per_article_hourly WHERE project = ? AND article = ? AND day = ?',
        [p, 'Foo', day],
      );
      within(Number(hourly.first().t), 30);
      const daily = await session.execute(
        "SELECT TTL(aa) AS t FROM per_article_flat WHERE project = ? AND article = ? AND granularity = 'daily'",
        [p, 'Foo'],
      );
      within(Number(daily.first().t), 60);
      const list = await session.execute(
        'SELECT TTL(articles) AS t FROM top_articles WHERE project = ? AND access = ? AND year = ? AND month = ? AND day = ?',
        [p, 'desktop', day.slice(0, 4), day.slice(4, 6), day.slice(6, 8)],
      );
      within(Number(list.first().t), 60);
    } finally {
      await session.close();
    }
  });
});
