/**
 * Throughput of edit events into `editstats`: a measurement, not part of
 * `npm test` (jest's testMatch only takes `*.test.ts`). Run it on purpose, with
 * the same harness (real Kafka test cluster, real Cassandra):
 *
 *   npx jest --testMatch '<rootDir>/test/editstats/throughput.measure.ts'
 *
 * It prints events/s (1) through the binding's `apply` in batches of 500, into
 * the embedded store and into Cassandra, and (2) through the whole ingest from
 * the Kafka test cluster into Cassandra, and (3) through `apply` into Cassandra
 * for one wide day: every event a new page on the same wiki-day, the shape of a
 * busy wiki's day, where a roll-up whose cost grows with the day's page count
 * shows up. Each run also checks that the numbers came out exact, so a fast but
 * wrong run fails. Sizes: EDITSTATS_MEASURE_EVENTS (default 20,000).
 */
import { toMessage } from '../../streams/check';
import { createEventLog } from '../../streams';
import { startIngest } from '../../streams/ingest';
import { loadEventSchemas } from '../../streams/schemas';
import editstats from '../../subgraphs/editstats/product';
import { openCassandraEditStatsStore } from '../../subgraphs/editstats/store/cassandra';
import { createEmbeddedEditStatsStore } from '../../subgraphs/editstats/store/embedded';
import type { EditStatsStore } from '../../subgraphs/editstats/store/port';
import { dropTestKeyspaces, testCassandraConfig } from '../harness/cassandra';
import { testKafkaBrokers, testLogger, uniqueTopic } from '../harness/kafka';
import { waitFor } from '../harness/wait';
import { EditHistory } from './history';

const EVENTS = Number(process.env.EDITSTATS_MEASURE_EVENTS ?? 20_000);
const BATCH = 500;
const binding = editstats.streams[0]!;
const config = testCassandraConfig({
  SDP_KAFKA_BROKERS: testKafkaBrokers(),
  SDP_KAFKA_SESSION_TIMEOUT_MS: '6000',
});
// About 1,400 events a day over ~2 weeks, edits spread over a growing set of pages.
const history = new EditHistory('enwiki', { seed: 77, meanGapMs: 60_000 }).run(EVENTS);
// EVENTS pages created within one UTC day (mean gap 2 s at most: 20,000 events span ~11 h).
const wideDay = new EditHistory('dewiki', {
  seed: 78,
  start: Date.UTC(2026, 1, 1),
  meanGapMs: Math.min(2_000, 40_000_000 / EVENTS),
});
for (let i = 0; i < EVENTS; i++) wideDay.create();
const results: string[] = [];

jest.setTimeout(30 * 60_000);

afterAll(async () => {
  await dropTestKeyspaces(config);
  process.stdout.write(
    `\neditstats throughput, ${EVENTS} events (${history.days().length} days)\n${results.join('\n')}\n`,
  );
});

/** The served wiki series and top list must equal the simulation's own tally. */
async function expectExact(store: EditStatsStore, h: EditHistory = history): Promise<void> {
  const days = h.days();
  const series = await store.wikiDailyStats({
    wikiId: h.wikiId,
    startDay: days[0]!,
    endDay: days[days.length - 1]!,
  });
  expect(series).toEqual(h.wikiSeries());
  expect(await store.topEditedPages({ wikiId: h.wikiId, day: days[0]!, limit: 10 })).toEqual(
    h.top(days[0]!, 10),
  );
}

async function throughApply(name: string, store: EditStatsStore, h: EditHistory = history): Promise<void> {
  const valid = h.valid();
  const started = process.hrtime.bigint();
  for (let i = 0; i < valid.length; i += BATCH) await binding.apply(store, valid.slice(i, i + BATCH));
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  results.push(
    `  apply, batches of ${BATCH}, ${name}: ${Math.round(valid.length / s)} events/s (${s.toFixed(1)} s)`,
  );
  await expectExact(store, h);
}

test('binding.apply into the embedded store', async () => {
  await throughApply('embedded', createEmbeddedEditStatsStore());
});

test('binding.apply into Cassandra', async () => {
  const store = await openCassandraEditStatsStore(config);
  try {
    await throughApply(`cassandra (consistency ${config.cassandraConsistency})`, store);
  } finally {
    await store.close();
  }
});

test('binding.apply into Cassandra, one wide day', async () => {
  expect(wideDay.days()).toHaveLength(1);
  const store = await openCassandraEditStatsStore(config);
  try {
    await throughApply(`cassandra, one day of ${EVENTS} new pages`, store, wideDay);
  } finally {
    await store.close();
  }
});

test('ingest from the Kafka test cluster into Cassandra', async () => {
  const topic = uniqueTopic('measure');
  const log = createEventLog(config, testLogger());
  const store = await openCassandraEditStatsStore({
    ...config,
    cassandraKeyspacePrefix: `${config.cassandraKeyspacePrefix}k`,
  });
  try {
    const producer = await log.producer();
    for (let i = 0; i < history.events.length; i += BATCH) {
      await producer.send(
        topic,
        history.events.slice(i, i + BATCH).map((e) => toMessage(binding, e)),
      );
    }
    await producer.close();
    const high = await log.offsets(topic);
    const total = high.reduce((n, p) => n + Number(p.high), 0);
    const ingest = await startIngest({
      log,
      schemas: loadEventSchemas(),
      binding,
      store,
      groupId: uniqueTopic('measure-group'),
      topic,
      logger: testLogger(),
    });
    // Timed from the first applied batch, so the consumer group join is not counted.
    await waitFor('the first batch', () => ingest.stats().batches > 0, 60_000, 5);
    const started = process.hrtime.bigint();
    const first = ingest.stats().applied;
    await waitFor('the log end', () => ingest.stats().applied >= total, 30 * 60_000, 20);
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    await ingest.stop();
    results.push(
      `  Kafka ingest (${high.length} partitions, validation included) into cassandra: ` +
        `${Math.round((total - first) / s)} events/s (${s.toFixed(1)} s)`,
    );
    await expectExact(store);
  } finally {
    await store.close();
    await log.close();
  }
});
