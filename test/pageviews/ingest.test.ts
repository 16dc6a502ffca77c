/**
 * The acceptance test of the issue, on the real ingest path (embedded event
 * log, schema validation, dead-letter topic) into both stores: redelivering
 * the same events, as a consumer restarted before its commit would get them,
 * leaves every count and every row unchanged.
 */
import type { SdpConfig } from '../../config/env';
import { PageChangeGenerator } from '../../demo/page-change-generator';
import { PageviewGenerator } from '../../demo/pageview-generator';
import { EmbeddedEventLog } from '../../streams/embedded/log';
import { startIngest, type IngestHandle } from '../../streams/ingest';
import { toMessage } from '../../streams/check';
import type { StartFrom } from '../../streams/port';
import { loadEventSchemas } from '../../streams/schemas';
import { toPageviewHour, type PageviewHourlyEvent } from '../../subgraphs/pageviews/events';
import { pageviewHourlyBinding } from '../../subgraphs/pageviews/product';
import { openCassandraPageviewsStore } from '../../subgraphs/pageviews/store/cassandra';
import { createEmbeddedPageviewsStore } from '../../subgraphs/pageviews/store/embedded';
import type { PageviewsStore } from '../../subgraphs/pageviews/store/port';
import { hourOf } from '../../subgraphs/pageviews/timestamps';
import { dropTestKeyspaces, testCassandraConfig } from '../harness/cassandra';
import { testLogger, uniqueTopic } from '../harness/kafka';
import { waitFor } from '../harness/wait';

const schemas = loadEventSchemas();
const RETENTION = { hourlyDays: 30, dailyDays: 0 };
const NOW = Date.now();

/** A day of demo pageviews: 24 complete hours of the pages of a generated history. */
function demoEvents(): PageviewHourlyEvent[] {
  const pages = new PageChangeGenerator({ seed: 3, clock: () => NOW });
  const views = new PageviewGenerator({ seed: 3, clock: () => NOW, backfillHours: 24 });
  views.observe(pages.nextN(150));
  return views.next(0);
}

let cassandraConfig: SdpConfig | undefined;
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
  if (cassandraConfig) await dropTestKeyspaces(cassandraConfig);
});

describe.each(adapters)('analytics.pageview_hourly ingest into $name', (adapter) => {
  let store: PageviewsStore;
  let log: EmbeddedEventLog;
  const handles: IngestHandle[] = [];

  beforeAll(async () => {
    store = await adapter.open();
    log = new EmbeddedEventLog({ logger: testLogger(), initialBackoffMs: 20 });
  });
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.stop()));
    await log.close();
    await store.close();
  });

  async function consume(topic: string, groupId: string, startFrom: StartFrom): Promise<IngestHandle> {
    const handle = await startIngest({
      log,
      schemas,
      binding: pageviewHourlyBinding,
      store,
      groupId,
      topic,
      logger: testLogger(),
      startFrom,
    });
    handles.push(handle);
    const ends = await log.offsets(topic);
    await waitFor('the whole topic consumed', () => {
      const at = new Map(handle.stats().positions.map((p) => [p.partition, p.offset]));
      return ends.every((e) => e.high === e.low || at.get(e.partition) === e.high);
    });
    return handle;
  }

  it('applies the stream, dead-letters what the domain refuses, and a full redelivery changes nothing', async () => {
    const events = demoEvents();
    const bad = { ...events[0]!, dt: '2026-03-10T10:30:00Z' };
    const topic = uniqueTopic('pageviews');
    const producer = await log.producer();
    try {
      await producer.send(
        topic,
        [...events, bad].map((e) => toMessage(pageviewHourlyBinding, e)),
      );
    } finally {
      await producer.close();
    }

    const group = uniqueTopic('group');
    const first = await consume(topic, group, 'earliest');
    expect(first.stats().applied).toBe(events.length);
    expect(first.stats().deadLettered).toBe(1);

    const articles = [
      ...new Map(events.map((e) => [`${e.wiki_id}|${e.page_title}`, toPageviewHour(e)])).values(),
    ];
    const today = hourOf(NOW).slice(0, 8);
    const yesterday = hourOf(NOW - 86_400_000).slice(0, 8);
    const snapshot = async () => ({
      hourly: await store.hourlyRows(
        articles.map((a) => ({
          project: a.project,
          title: a.title,
          startHour: `${yesterday}00`,
          endHour: `${today}23`,
        })),
      ),
      daily: await store.dailyRows(
        articles.map((a) => ({ project: a.project, title: a.title, startDay: yesterday, endDay: today })),
      ),
      top: await Promise.all(
        ['en.wikipedia', 'de.wikipedia'].flatMap((project) =>
          [yesterday, today].map((day) =>
            store.topPages({ project, access: 'all-access', day, limit: 1000 }),
          ),
        ),
      ),
    });
    const before = await snapshot();
    // Every event left its hour: one stored hourly row per event (each names a distinct article-hour).
    expect(before.hourly.reduce((n, rows) => n + rows.length, 0)).toBe(events.length);
    expect(before.top.some((t) => t.length > 0)).toBe(true);

    // A consumer restarted before it committed: the same events from the start of the log, again.
    await first.stop();
    const again = await consume(topic, group, { offsets: {} });
    expect(again.stats().applied).toBe(events.length);
    expect(await snapshot()).toEqual(before);
  });
});
