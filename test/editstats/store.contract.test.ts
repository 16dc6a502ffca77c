/**
 * One contract for every `EditStatsStore` adapter, run against the embedded
 * store and a real Cassandra (started by the test harness): simulated histories
 * of schema-shaped page_change events go through the product's stream binding
 * (normalisation + store), and the counts must equal what the simulated wiki
 * itself tallied, whatever the order, duplication, batching or concurrency of
 * delivery. Redelivery must leave every row of every table as it was.
 *
 * Tests isolate themselves by wiki id, so one store (one keyspace) serves a file.
 */
import { openCassandraSession, type CassandraSession } from '../../platform/cassandra';
import type { PageChangeEvent } from '../../streams/contracts/page-change';
import { editStatsPageChangeBinding as binding } from '../../subgraphs/editstats/binding';
import { openCassandraEditStatsStore } from '../../subgraphs/editstats/store/cassandra';
import {
  createEmbeddedEditStatsStore,
  type EditStatsSnapshot,
} from '../../subgraphs/editstats/store/embedded';
import { EDITSTATS_MIGRATIONS, EDITSTATS_PRODUCT } from '../../subgraphs/editstats/store/migrations';
import type { EditStatsStore } from '../../subgraphs/editstats/store/port';
import { pageBucket } from '../../subgraphs/editstats/rollup';
import { dropTestKeyspaces, testCassandraConfig } from '../harness/cassandra';
import { prng, randomBatches, shuffled } from '../fixtures/random';
import { EditHistory } from './history';

const config = testCassandraConfig();
let session: CassandraSession | undefined;

/** Every row of the Cassandra tables, in the embedded store's snapshot format. */
async function cassandraSnapshot(): Promise<EditStatsSnapshot> {
  session ??= await openCassandraSession(config, EDITSTATS_PRODUCT, EDITSTATS_MIGRATIONS);
  const s = session;
  const counts = (r: Record<string, unknown>) =>
    `${r.edits}/${r.registered_edits}/${r.anonymous_edits}/${r.bot_edits}/${r.net_bytes}`;
  const scan = async (cql: string, text: (row: Record<string, unknown>) => string) => {
    const out: string[] = [];
    // A small page size, so the scan itself crosses page boundaries.
    for await (const rows of s.pages(cql, [], { fetchSize: 100 }))
      for (const row of rows) out.push(text(row));
    return out.sort();
  };
  const key = (...parts: unknown[]) => parts.map(String).join('\u0000');
  return {
    edits: await scan(
      'SELECT * FROM wiki_day_bucket_edits',
      (r) => `${key(r.wiki_id, r.day, r.bucket, r.page_id, r.rev_id)}=${r.editor_kind}/${r.net_bytes}`,
    ),
    pageDaily: await scan(
      'SELECT * FROM page_daily',
      (r) => `${key(r.wiki_id, r.page_id, r.day)}=${counts(r)}`,
    ),
    buckets: await scan(
      'SELECT * FROM wiki_day_buckets',
      (r) => `${key(r.wiki_id, r.day, r.bucket)}=${counts(r)}/${r.top_page_edits}`,
    ),
    wikiDaily: await scan('SELECT * FROM wiki_daily', (r) => `${key(r.wiki_id, r.day)}=${counts(r)}`),
  };
}

interface Adapter {
  name: string;
  open(): Promise<EditStatsStore>;
  snapshot(store: EditStatsStore): Promise<EditStatsSnapshot>;
}

const adapters: Adapter[] = [
  {
    name: 'embedded',
    open: async () => createEmbeddedEditStatsStore(),
    snapshot: async (store) => (store as ReturnType<typeof createEmbeddedEditStatsStore>).snapshot(),
  },
  {
    name: 'cassandra',
    open: () => openCassandraEditStatsStore(config),
    snapshot: () => cassandraSnapshot(),
  },
];

afterAll(async () => {
  await session?.close();
  await dropTestKeyspaces(config);
});

/** One wiki's rows, with the wiki id cut off, so two wikis fed the same history can be compared. */
function rowsOf(snapshot: EditStatsSnapshot, wikiId: string): EditStatsSnapshot {
  const prefix = `${wikiId}\u0000`;
  const pick = (rows: string[]) =>
    rows.filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length));
  return {
    edits: pick(snapshot.edits),
    pageDaily: pick(snapshot.pageDaily),
    buckets: pick(snapshot.buckets),
    wikiDaily: pick(snapshot.wikiDaily),
  };
}

async function apply(
  store: EditStatsStore,
  events: readonly PageChangeEvent[],
  batchSize = 500,
): Promise<void> {
  const h = new EditHistory('unused');
  for (let i = 0; i < events.length; i += batchSize) {
    await binding.apply(store, h.valid(events.slice(i, i + batchSize)));
  }
}

/** Every count the store serves for a history's wiki, read through the port. */
async function served(store: EditStatsStore, h: EditHistory) {
  const days = h.days();
  const all = { startDay: '20000101', endDay: '20991231' };
  return {
    pages: await store.pageDailyStats(h.pages.map((p) => ({ wikiId: h.wikiId, pageId: p.pageId, ...all }))),
    wiki: await store.wikiDailyStats({ wikiId: h.wikiId, ...all }),
    top: await Promise.all(days.map((day) => store.topEditedPages({ wikiId: h.wikiId, day, limit: 10 }))),
  };
}

function oracle(h: EditHistory) {
  return {
    pages: h.pages.map((p) => h.pageSeries(p.pageId)),
    wiki: h.wikiSeries(),
    top: h.days().map((day) => h.top(day, 10)),
  };
}

describe.each(adapters)('EditStatsStore contract: $name', (adapter) => {
  let store: EditStatsStore;
  let n = 0;
  // Unique per test and per run (the Cassandra keyspace outlives a failed run's cleanup).
  const wiki = (name: string) => `${name}${++n}wiki`;

  beforeAll(async () => {
    store = await adapter.open();
  });

  afterAll(async () => {
    await store?.close();
  });

  it('counts a history exactly: every page series, the wiki series and each day’s top list', async () => {
    const h = new EditHistory(wiki('exact'), { seed: 11, meanGapMs: 5 * 60_000 }).run(1200);
    expect(h.days().length).toBeGreaterThanOrEqual(3);
    await apply(store, h.events);
    expect(await served(store, h)).toEqual(oracle(h));
    const totals = h.wikiSeries().reduce((sum, p) => sum + p.edits, 0);
    const counted = h.events.filter((e) => ['create', 'edit'].includes(e.page_change_kind)).length;
    expect(totals).toBe(counted);
  });

  it('leaves every row unchanged when batches are delivered again (consumer restart before commit)', async () => {
    const h = new EditHistory(wiki('redelivery'), { seed: 12, meanGapMs: 5 * 60_000 }).run(900);
    const batches = randomBatches(h.events, prng(3), 200);
    for (const batch of batches) await apply(store, batch);
    const before = rowsOf(await adapter.snapshot(store), h.wikiId);
    const countsBefore = await served(store, h);
    // One batch again, then every batch again in the original order, then all at once.
    await apply(store, batches[Math.floor(batches.length / 2)]!);
    for (const batch of batches) await apply(store, batch);
    await apply(store, h.events, h.events.length);
    expect(rowsOf(await adapter.snapshot(store), h.wikiId)).toEqual(before);
    expect(await served(store, h)).toEqual(countsBefore);
    expect(countsBefore).toEqual(oracle(h));
  });

  it('reaches the same rows from shuffled, duplicated deliveries in random batches', async () => {
    const ordered = new EditHistory(wiki('ordered'), { seed: 13, meanGapMs: 5 * 60_000 }).run(800);
    const chaotic = new EditHistory(wiki('chaotic'), { seed: 13, meanGapMs: 5 * 60_000 }).run(800);
    await apply(store, ordered.events);
    const random = prng(7);
    // Every event once more, a quarter of them a third time, all in random order.
    const deliveries = shuffled(
      [...chaotic.events, ...chaotic.events, ...chaotic.events.filter(() => random() < 0.25)],
      random,
    );
    for (const batch of randomBatches(deliveries, random, 150)) await apply(store, batch);
    const snapshot = await adapter.snapshot(store);
    expect(rowsOf(snapshot, chaotic.wikiId)).toEqual(rowsOf(snapshot, ordered.wikiId));
    expect(rowsOf(snapshot, ordered.wikiId).edits.length).toBeGreaterThan(0);
    expect(await served(store, chaotic)).toEqual(oracle(chaotic));
  });

  it('stays exact when partitions apply concurrently and a stale consumer replays one of them', async () => {
    const h = new EditHistory(wiki('concurrent'), { seed: 14, meanGapMs: 2 * 60_000 }).run(1000);
    // As Kafka keys the stream: one page's events in one partition, in order.
    const partitions: PageChangeEvent[][] = [[], [], [], []];
    for (const e of h.events) partitions[e.page.page_id % 4]!.push(e);
    const random = prng(9);
    const consume = async (events: PageChangeEvent[]) => {
      for (const batch of randomBatches(events, random, 60)) await apply(store, batch);
    };
    // Partition 0 twice at once: a consumer that lost it but has not noticed yet.
    await Promise.all([...partitions.map(consume), consume(partitions[0]!)]);
    expect(await served(store, h)).toEqual(oracle(h));
  });

  it('recomputes each bucket exactly when its pages arrive shuffled, duplicated and concurrently', async () => {
    // ~1,100 pages on one wiki-day: about a hundred buckets hold two pages or more, and
    // batches keep touching a bucket whose other pages another batch (or partition) writes.
    const options = { seed: 16, start: Date.UTC(2026, 4, 1, 6), meanGapMs: 10_000 };
    const build = (name: string) => {
      const h = new EditHistory(wiki(name), options);
      for (let i = 0; i < 1000; i++) h.create();
      return h.run(800);
    };
    const ordered = build('bucketsordered');
    const chaotic = build('bucketschaotic');
    expect(ordered.days()).toHaveLength(1);
    const pagesPerBucket = new Map<number, Set<number>>();
    for (const e of ordered.events) {
      const bucket = pageBucket(e.page.page_id);
      pagesPerBucket.set(bucket, (pagesPerBucket.get(bucket) ?? new Set()).add(e.page.page_id));
    }
    expect([...pagesPerBucket.values()].filter((pages) => pages.size >= 2).length).toBeGreaterThan(50);

    await apply(store, ordered.events);
    // Four partitions keyed like Kafka's, each delivered shuffled with every event twice and
    // a quarter of them three times, all at once, with a stale consumer replaying partition 0.
    const random = prng(17);
    const partitions: PageChangeEvent[][] = [[], [], [], []];
    for (const e of chaotic.events) partitions[e.page.page_id % 4]!.push(e);
    const consume = async (events: PageChangeEvent[]) => {
      const deliveries = shuffled([...events, ...events, ...events.filter(() => random() < 0.25)], random);
      for (const batch of randomBatches(deliveries, random, 120)) await apply(store, batch);
    };
    await Promise.all([...partitions.map(consume), consume(partitions[0]!)]);

    const snapshot = await adapter.snapshot(store);
    const rows = rowsOf(snapshot, chaotic.wikiId);
    expect(rows).toEqual(rowsOf(snapshot, ordered.wikiId));
    expect(await served(store, chaotic)).toEqual(oracle(chaotic));
    // Every bucket row is the sum of its edit rows, and every edit is in its page's bucket.
    const pages = new Map<string, Map<string, number[]>>();
    for (const row of rows.edits) {
      const [key, value] = row.split('=');
      const [day, bucket, pageId] = key!.split('\u0000');
      expect(Number(bucket)).toBe(pageBucket(Number(pageId)));
      const [kind, bytes] = value!.split('/');
      const byPage = pages.get(`${day}\u0000${bucket}`) ?? new Map<string, number[]>();
      const c = byPage.get(pageId!) ?? [0, 0, 0, 0, 0];
      const kinds = ['registered', 'anonymous', 'bot'];
      byPage.set(pageId!, [
        c[0]! + 1,
        ...kinds.map((k, i) => c[i + 1]! + (k === kind ? 1 : 0)),
        c[4]! + Number(bytes),
      ]);
      pages.set(`${day}\u0000${bucket}`, byPage);
    }
    const expected = [...pages].map(([key, byPage]) => {
      const sum = [0, 0, 0, 0, 0].map((_, i) => [...byPage.values()].reduce((n, c) => n + c[i]!, 0));
      const top = Math.max(...[...byPage.values()].map((c) => c[0]!));
      return `${key}=${sum.join('/')}/${top}`;
    });
    expect(rows.buckets).toEqual(expected.sort());
    expect(rows.buckets.length).toBeGreaterThan(500);
  });

  it('reads inclusive day ranges, leaves out days without edits, and answers page queries positionally', async () => {
    const h = new EditHistory(wiki('ranges'), { start: Date.UTC(2026, 0, 1, 10), meanGapMs: 1 });
    const page = h.create(1000);
    const other = h.create(50);
    h.edit(page);
    h.jumpTo(Date.UTC(2026, 0, 3, 23, 59, 58));
    h.edit(page);
    await apply(store, h.events);
    const q = (pageId: number, startDay: string, endDay: string) => ({
      wikiId: h.wikiId,
      pageId,
      startDay,
      endDay,
    });
    const [all, middle, last, unknown, otherSeries, again] = await store.pageDailyStats([
      q(page.pageId, '20260101', '20260103'),
      q(page.pageId, '20260102', '20260102'),
      q(page.pageId, '20260103', '20260103'),
      q(999_999, '20260101', '20260131'),
      q(other.pageId, '20260101', '20260101'),
      q(page.pageId, '20260101', '20260103'),
    ]);
    expect(all!.map((p) => p.day)).toEqual(['20260101', '20260103']);
    expect(all).toEqual(h.pageSeries(page.pageId));
    expect(middle).toEqual([]);
    expect(last).toEqual(h.pageSeries(page.pageId, '20260103', '20260103'));
    expect(unknown).toEqual([]);
    expect(otherSeries).toEqual(h.pageSeries(other.pageId));
    expect(otherSeries).toMatchObject([{ day: '20260101', edits: 1, netBytes: 50 }]);
    expect(again).toEqual(all);
    expect(
      await store.wikiDailyStats({ wikiId: h.wikiId, startDay: '20260102', endDay: '20260131' }),
    ).toEqual(h.wikiSeries('20260102', '20260131'));
    expect(
      await store.wikiDailyStats({ wikiId: 'nowiki', startDay: '20260101', endDay: '20260131' }),
    ).toEqual([]);
  });

  it('ranks the top pages by edits, then page id, over more rows than one read page holds', async () => {
    // 1,200 pages edited on one day, a few of them often: more bucket rows than one Cassandra
    // read page holds (1,000), and the top list must pick pages out of many buckets.
    const h = new EditHistory(wiki('top'), { start: Date.UTC(2026, 1, 1), meanGapMs: 10 });
    for (let i = 0; i < 1200; i++) h.create(10);
    const busy = [h.pages[700]!, h.pages[3]!, h.pages[1100]!, h.pages[4]!];
    const extraEdits = [5, 4, 3, 3];
    for (const [i, page] of busy.entries()) for (let j = 0; j < extraEdits[i]!; j++) h.edit(page);
    expect(h.days()).toEqual(['20260201']);
    await apply(store, h.events);
    const top = (limit: number) => store.topEditedPages({ wikiId: h.wikiId, day: '20260201', limit });
    const five = await top(5);
    // pages[4] and pages[1100] tie on edits: the lower page id ranks first.
    expect(five.map((p) => p.pageId)).toEqual([
      busy[0]!.pageId,
      busy[1]!.pageId,
      busy[3]!.pageId,
      busy[2]!.pageId,
      h.pages[0]!.pageId,
    ]);
    expect(five).toEqual(h.top('20260201', 5));
    expect(await top(1000)).toEqual(h.top('20260201', 1000));
    expect(await top(0)).toEqual([]);
    expect(await store.topEditedPages({ wikiId: h.wikiId, day: '20260202', limit: 5 })).toEqual([]);
    expect(
      (await store.wikiDailyStats({ wikiId: h.wikiId, startDay: '20260201', endDay: '20260201' }))[0]!.edits,
    ).toBe(1200 + 5 + 4 + 3 + 3);
  });

  it('counts a page-day with more edits than one read page holds', async () => {
    // A bot editing one page 1,200 times in a day: the recompute reads its edits 1,000 rows at a time.
    const h = new EditHistory(wiki('hot'), { start: Date.UTC(2026, 1, 2), meanGapMs: 20 });
    const page = h.create(10);
    for (let i = 0; i < 1200; i++) h.edit(page);
    expect(h.days()).toEqual(['20260202']);
    await apply(store, h.events);
    expect(await served(store, h)).toEqual(oracle(h));
    expect(h.pageSeries(page.pageId)[0]!.edits).toBe(1201);
  });

  it('counts only saved revisions: moves, deletions, undeletions and visibility changes change nothing', async () => {
    const h = new EditHistory(wiki('uncounted'), { start: Date.UTC(2026, 2, 1), meanGapMs: 10 });
    const page = h.create(100);
    await apply(store, h.events);
    const before = rowsOf(await adapter.snapshot(store), h.wikiId);
    const later = [
      h.uncounted(page, 'move'),
      h.uncounted(page, 'visibility_change'),
      h.uncounted(page, 'delete'),
      h.uncounted(page, 'undelete'),
    ];
    await apply(store, later);
    expect(rowsOf(await adapter.snapshot(store), h.wikiId)).toEqual(before);
    expect(before.edits).toHaveLength(1);
  });

  it('forgets everything on reset, and counts from scratch afterwards', async () => {
    const h = new EditHistory(wiki('reset'), { seed: 15 }).run(100);
    await apply(store, h.events);
    await store.reset();
    const empty = await adapter.snapshot(store);
    expect(empty).toEqual({ edits: [], pageDaily: [], buckets: [], wikiDaily: [] });
    await apply(store, h.events);
    expect(await served(store, h)).toEqual(oracle(h));
  });
});

describe('Cassandra adapter', () => {
  let store: EditStatsStore;
  let s: CassandraSession;

  beforeAll(async () => {
    store = await openCassandraEditStatsStore(config);
    s = await openCassandraSession(config, EDITSTATS_PRODUCT, EDITSTATS_MIGRATIONS);
  });

  afterAll(async () => {
    await store?.close();
    await s?.close();
  });

  it('keeps the most complete roll-up when a stale recompute lands after it', async () => {
    const h = new EditHistory('racewiki', { start: Date.UTC(2026, 3, 1), meanGapMs: 10 });
    const page = h.create(10);
    h.edit(page);
    h.edit(page);
    await apply(store, h.events);
    // What a racing writer that read only the first two edits would write, arriving last.
    const stale = [2, 2, 0, 0, 5, 2];
    await s.execute(
      'INSERT INTO page_daily (wiki_id, page_id, day, edits, registered_edits, anonymous_edits, bot_edits, net_bytes) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?',
      ['racewiki', page.pageId, '20260401', ...stale],
    );
    await s.execute(
      'INSERT INTO wiki_daily (wiki_id, day, edits, registered_edits, anonymous_edits, bot_edits, net_bytes) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?',
      ['racewiki', '20260401', ...stale],
    );
    const range = { startDay: '20260401', endDay: '20260401' };
    expect(await store.pageDailyStats([{ wikiId: 'racewiki', pageId: page.pageId, ...range }])).toEqual([
      h.pageSeries(page.pageId),
    ]);
    expect(await store.wikiDailyStats({ wikiId: 'racewiki', ...range })).toEqual(h.wikiSeries());
  });

  it('keeps the most complete bucket roll-ups when stale ones land after them', async () => {
    const h = new EditHistory('bucketracewiki', { start: Date.UTC(2026, 3, 2), meanGapMs: 10 });
    const page = h.create(10);
    h.edit(page);
    h.edit(page);
    const other = h.create(7);
    await apply(store, h.events);
    const day = '20260402';
    const bucket = pageBucket(page.pageId);
    // What a racing writer that read only the page's first edit would write, arriving last.
    await s.execute(
      'INSERT INTO wiki_day_buckets (wiki_id, day, bucket, edits, registered_edits, anonymous_edits, ' +
        'bot_edits, net_bytes, top_page_edits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?',
      [h.wikiId, day, bucket, 1, 1, 0, 0, 10, 1, 1],
    );
    // Another edit that day recomputes the day from its buckets; the top list ranks from them.
    h.edit(other);
    await apply(store, h.events.slice(-1));
    const range = { startDay: day, endDay: day };
    expect(await store.wikiDailyStats({ wikiId: h.wikiId, ...range })).toEqual(h.wikiSeries());
    expect(await store.topEditedPages({ wikiId: h.wikiId, day, limit: 1 })).toEqual(h.top(day, 1));
  });

  it('describes itself and is durable', () => {
    expect(store.durable).toBe(true);
    expect(store.description).toMatch(/^cassandra .+\/t[0-9a-f]{8}_editstats$/);
  });
});
