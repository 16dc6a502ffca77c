/**
 * The pageviews dump loader against both stores: streamed plain and gzipped
 * files, the hour from the name, desktop and mobile lines of one article
 * merged into one hour, skipped lines counted by reason, idempotent reloads,
 * and unusable input refused before anything is written.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { SdpConfig } from '../../config/env';
import { SKIP } from '../../subgraphs/pageviews/dump';
import { loadPageviewDumps } from '../../subgraphs/pageviews/load';
import type { Retention } from '../../subgraphs/pageviews/retention';
import { openCassandraPageviewsStore } from '../../subgraphs/pageviews/store/cassandra';
import { createEmbeddedPageviewsStore } from '../../subgraphs/pageviews/store/embedded';
import type { PageviewsStore } from '../../subgraphs/pageviews/store/port';
import { DAY_MS, hourOf } from '../../subgraphs/pageviews/timestamps';
import { dropTestKeyspaces, testCassandraConfig } from '../harness/cassandra';
import { tempDir, writeDump } from './dumps';
import { generateDumpLines, writeGeneratedDump } from '../../demo/dump-generator';
import { parseDumpLine } from '../../subgraphs/pageviews/dump';
import type { PageviewHour } from '../../subgraphs/pageviews/model';
import { prng, randomBatches } from '../fixtures/random';

const logger = pino({ level: 'silent' });
const RETENTION: Retention = { hourlyDays: 30, dailyDays: 0 };

let cassandraConfig: SdpConfig | undefined;
const opened: PageviewsStore[] = [];

const adapters = [
  { name: 'embedded', open: async () => createEmbeddedPageviewsStore({ retention: RETENTION }) },
  {
    name: 'cassandra',
    open: async () => {
      cassandraConfig ??= testCassandraConfig();
      return openCassandraPageviewsStore(cassandraConfig, { retention: RETENTION });
    },
  },
];

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  if (cassandraConfig) await dropTestKeyspaces(cassandraConfig);
});

/** A day `n` days ago, inside retention; each test uses its own days so one store serves the file. */
function daysAgo(n: number): string {
  return hourOf(Date.now() - n * DAY_MS).slice(0, 8);
}

/** Small generated hours: en.wikipedia's titles recur across hours, as in the real dumps. */
const SHAPE = { seed: 11, lines: 800, articlesPerCode: 300, malformedEvery: 400 };

/** What the dumps say en.wikipedia's day should hold: user views per title (desktop, mobile web). */
function expectedDay(day: string, hours: readonly string[]) {
  const views = new Map<string, { du: number; mwu: number }>();
  for (const h of hours) {
    for (const line of generateDumpLines(`${day}${h}`, SHAPE)) {
      const [code, title, count] = line.split(' ');
      if ((code !== 'en' && code !== 'en.m') || !/^\d+$/.test(count ?? '') || line.split(' ').length !== 4)
        continue;
      const v = views.get(title!) ?? { du: 0, mwu: 0 };
      v[code === 'en' ? 'du' : 'mwu'] += Number(count);
      views.set(title!, v);
    }
  }
  const top = [...views]
    .map(([title, v]) => ({ title, views: v.du + v.mwu }))
    .sort((a, b) => b.views - a.views || (a.title < b.title ? -1 : 1))
    .slice(0, 1000);
  return { views, top };
}

describe.each(adapters)('loadPageviewDumps: $name', (adapter) => {
  let store: PageviewsStore;
  beforeAll(async () => {
    store = await adapter.open();
    opened.push(store);
  });

  async function state(day: string, titles: string[]) {
    const daily = await store.dailyRows(
      titles.map((title) => ({ project: 'en.wikipedia', title, startDay: day, endDay: day })),
    );
    const hourly = await store.hourlyRows(
      titles.map((title) => ({ project: 'en.wikipedia', title, startHour: `${day}00`, endHour: `${day}23` })),
    );
    const top = await store.topPages({ project: 'en.wikipedia', access: 'all-access', day, limit: 10 });
    return { daily, hourly, top };
  }

  it('loads plain and gzipped hours, merging desktop and mobile lines, and reloads without a change', async () => {
    const day = daysAgo(1);
    const dir = tempDir();
    const files = [
      writeDump(dir, `${day}10`, [
        'de Berlin 5 0',
        'en Earth 10 0',
        'en Moon 3 0',
        'en.f Donate 9 0',
        'en.m Earth 20 0',
      ]),
      writeDump(
        dir,
        `${day}11`,
        ['en Earth 1 0', 'en.m Moon 4 0', 'en broken line', 'en Too_many 10000000 0', 'zz.qq X 1 0'],
        true,
      ),
    ];
    const bytes: number[] = [];
    const first = await loadPageviewDumps(store, files, { logger, onBytes: (n) => bytes.push(n) });
    expect(first).toEqual({
      records: 10,
      // Earth's desktop and mobile lines of hour 10 are one hourly row.
      rows: 5,
      skipped: { [SKIP.unmappedDomain]: 2, [SKIP.malformed]: 1, [SKIP.invalid]: 1 },
    });
    expect(bytes.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    const loaded = await state(day, ['Earth', 'Moon']);
    expect(loaded.hourly).toEqual([
      [
        { hour: `${day}10`, cells: { du: 10, mwu: 20 } },
        { hour: `${day}11`, cells: { du: 1 } },
      ],
      [
        { hour: `${day}10`, cells: { du: 3 } },
        { hour: `${day}11`, cells: { mwu: 4 } },
      ],
    ]);
    expect(
      loaded.daily.map((rows) => rows.map((r) => [r.counts.du, r.counts.mwu, r.counts.au, r.counts.aa])),
    ).toEqual([[[11, 20, 31, 31]], [[3, 4, 7, 7]]]);
    expect(loaded.top).toEqual([
      { title: 'Earth', views: 31 },
      { title: 'Moon', views: 7 },
    ]);

    // The same files again (a rerun after a crash, or by mistake): same report, every row unchanged.
    expect(await loadPageviewDumps(store, files, { logger })).toEqual(first);
    expect(await state(day, ['Earth', 'Moon'])).toEqual(loaded);
  });

  it('refuses a file that is not a dump by name before writing anything', async () => {
    const day = daysAgo(2);
    const dir = tempDir();
    const good = writeDump(dir, `${day}10`, ['en Mars 1 0']);
    const renamed = path.join(dir, 'pageviews.txt');
    writeFileSync(renamed, 'en Venus 1 0\n');
    await expect(loadPageviewDumps(store, [good, renamed], { logger })).rejects.toThrow(
      /pageviews\.txt: not a pageviews dump name/,
    );
    await expect(
      loadPageviewDumps(store, [good, path.join(dir, 'pageviews-20240101-000000')], { logger }),
    ).rejects.toThrow(/cannot be read/);
    expect((await state(day, ['Mars'])).daily).toEqual([[]]);
  });

  it('fails on a corrupt gzip file naming it and how far it got', async () => {
    const day = daysAgo(3);
    const dir = tempDir();
    const file = writeDump(dir, `${day}10`, ['en Jupiter 1 0'], true);
    writeFileSync(file, Buffer.from('this is not gzip'));
    await expect(loadPageviewDumps(store, [file], { logger })).rejects.toThrow(
      new RegExp(`pageviews-${day}-100000\\.gz: cannot read past line 0`),
    );
  });

  it('counts lines of hours past retention as skipped', async () => {
    const old = daysAgo(45);
    const file = writeDump(tempDir(), `${old}10`, ['en Saturn 1 0', 'en.m Saturn 2 0']);
    expect(await loadPageviewDumps(store, [file], { logger })).toEqual({
      records: 2,
      rows: 0,
      skipped: { [SKIP.expired]: 1 },
    });
  });

  async function dayState(day: string, titles: string[]) {
    const daily = await store.dailyRows(
      titles.map((title) => ({ project: 'en.wikipedia', title, startDay: day, endDay: day })),
    );
    const top = await store.topPages({ project: 'en.wikipedia', access: 'all-access', day, limit: 1000 });
    return { daily: daily.map((rows) => rows.map((r) => ({ ...r, timestamp: r.timestamp.slice(8) }))), top };
  }

  it('completes a partial day loaded later, counting the hours of both loads and of the stream', async () => {
    const day = daysAgo(5);
    const dir = tempDir();
    const files = await Promise.all(
      ['03', '09', '15', '21'].map((h) => writeGeneratedDump(dir, `${day}${h}`, SHAPE)),
    );
    const { views, top } = expectedDay(day, ['03', '09', '15', '21']);
    const [busiest] = top;
    // The stream measured spider views of the busiest article in an hour the dumps also cover.
    await store.writeHours([
      {
        wikiId: 'enwiki',
        project: 'en.wikipedia',
        namespace: 0,
        title: busiest!.title,
        hour: `${day}03`,
        cells: { ds: 7 },
      },
    ]);
    await loadPageviewDumps(store, files.slice(0, 2), { logger });
    const partial = await store.topPages({ project: 'en.wikipedia', access: 'all-access', day, limit: 1000 });
    await loadPageviewDumps(store, files.slice(2), { logger });

    const titles = [...views.keys()];
    const state = await dayState(day, titles);
    expect(state.top).toEqual(top);
    expect(partial).not.toEqual(top);
    for (const [i, title] of titles.entries()) {
      const v = views.get(title)!;
      const [row] = state.daily[i]!;
      expect([row!.counts.du, row!.counts.mwu]).toEqual([v.du, v.mwu]);
      expect(row!.counts.ds).toBe(title === busiest!.title ? 7 : 0);
      expect(row!.counts.aa).toBe(v.du + v.mwu + row!.counts.ds);
    }
  });

  it('loads a day larger than the memory limit in parts, to the same rows, and again without a change', async () => {
    const day = daysAgo(6);
    const dir = tempDir();
    const files = await Promise.all(
      ['01', '02', '03'].map((h) => writeGeneratedDump(dir, `${day}${h}`, SHAPE)),
    );
    const messages: string[] = [];
    const capturing = pino({ level: 'info' }, { write: (msg: string) => messages.push(msg) });
    // ~60 kB: a fraction of the day's 2,400 lines (~400 B each in memory).
    const summary = await loadPageviewDumps(store, files, { logger: capturing, memoryBytes: 60_000 });
    expect(messages.some((m) => m.includes('splitting it by article'))).toBe(true);
    const dayLog = JSON.parse(messages.find((m) => m.includes('"day loaded"'))!) as { parts: number };
    expect(dayLog.parts).toBeGreaterThan(1);

    const { views, top } = expectedDay(day, ['01', '02', '03']);
    const titles = [...views.keys()];
    const state = await dayState(day, titles);
    expect(state.top).toEqual(top);
    expect(state.daily.map(([row]) => [row!.counts.du, row!.counts.mwu])).toEqual(
      titles.map((t) => [views.get(t)!.du, views.get(t)!.mwu]),
    );
    expect(await loadPageviewDumps(store, files, { logger, memoryBytes: 60_000 })).toEqual(summary);
    expect(await dayState(day, titles)).toEqual(state);
  });

  it('leaves the same rows and lists as the stream given the same counts', async () => {
    const streamed = daysAgo(7);
    const loaded = daysAgo(8);
    const hours = ['00', '10', '20'];
    // The stream: the same counts as events, in random batches (desktop and mobile of one hour apart).
    const random = prng(3);
    const events: PageviewHour[] = hours.flatMap((h) =>
      generateDumpLines(`${loaded}${h}`, SHAPE).flatMap((line) => {
        const parsed = parseDumpLine(line, `${streamed}${h}`);
        return 'hour' in parsed && parsed.hour.project === 'en.wikipedia' ? [parsed.hour] : [];
      }),
    );
    for (const batch of randomBatches(events, random, 300)) await store.writeHours(batch);
    const dir = tempDir();
    const files = await Promise.all(hours.map((h) => writeGeneratedDump(dir, `${loaded}${h}`, SHAPE)));
    await loadPageviewDumps(store, files, { logger });

    const titles = [...new Set(events.map((e) => e.title))];
    expect(await dayState(loaded, titles)).toEqual(await dayState(streamed, titles));
    const month = async (day: string) =>
      store.topPagesOfMonth({
        project: 'en.wikipedia',
        access: 'desktop',
        month: day.slice(0, 6),
        limit: 10,
      });
    // Both days may share a month; each month's list is the sum of its days either way.
    expect((await month(loaded)).length).toBeGreaterThan(0);
  });

  it('completes a fresh partial day with a later load, which reads the first load’s hours back', async () => {
    const day = daysAgo(9);
    const dir = tempDir();
    const files = await Promise.all(['02', '14'].map((h) => writeGeneratedDump(dir, `${day}${h}`, SHAPE)));
    await loadPageviewDumps(store, files.slice(0, 1), { logger });
    expect((await store.writtenDays('en.wikipedia', day.slice(0, 6))).get(day)?.size).toBe(1);
    await loadPageviewDumps(store, files.slice(1), { logger });
    const { views, top } = expectedDay(day, ['02', '14']);
    const titles = [...views.keys()];
    const state = await dayState(day, titles);
    expect(state.top).toEqual(top);
    expect(state.daily.map(([row]) => [row!.counts.du, row!.counts.mwu])).toEqual(
      titles.map((t) => [views.get(t)!.du, views.get(t)!.mwu]),
    );
    // Two loads, two writers.
    expect((await store.writtenDays('en.wikipedia', day.slice(0, 6))).get(day)?.size).toBe(2);
  });

  it('fails a load when the stream writes into a day it wrote as fresh, and a rerun makes it exact', async () => {
    const day = daysAgo(10);
    const file = await writeGeneratedDump(tempDir(), `${day}06`, SHAPE);
    const { views, top } = expectedDay(day, ['06']);
    const busiest = top[0]!.title;
    let raced = false;
    // The stream writes spider views of the busiest article while the load runs, after its fresh-day check.
    const racing: PageviewsStore = {
      ...store,
      writeHours: async (hours, options) => {
        if (!raced && options?.writer) {
          raced = true;
          await store.writeHours([
            {
              wikiId: 'enwiki',
              project: 'en.wikipedia',
              namespace: 0,
              title: busiest,
              hour: `${day}07`,
              cells: { ds: 5 },
            },
          ]);
        }
        return store.writeHours(hours, options);
      },
    };
    await expect(loadPageviewDumps(racing, [file], { logger })).rejects.toThrow(
      new RegExp(
        `${day}: another writer \\(the stream\\?\\) wrote .*en\\.wikipedia.*run the same load again`,
      ),
    );
    await loadPageviewDumps(store, [file], { logger });
    const titles = [...views.keys()];
    const state = await dayState(day, titles);
    expect(state.top).toEqual(top);
    for (const [i, title] of titles.entries()) {
      const [row] = state.daily[i]!;
      expect(row!.counts.aa).toBe(views.get(title)!.du + views.get(title)!.mwu + (title === busiest ? 5 : 0));
    }
  });

  it('refuses a memory limit too small for any part after the deepest split, naming the option', async () => {
    const file = await writeGeneratedDump(tempDir(), `${daysAgo(11)}04`, SHAPE);
    await expect(loadPageviewDumps(store, [file], { logger, memoryBytes: 300 })).rejects.toThrow(
      /does not fit in 300 bytes after 4 splits; raise --memory/,
    );
  });
});
