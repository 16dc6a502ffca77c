/**
 * `editstats` over real servers (the Kafka test cluster and Cassandra): ingest
 * through the ordinary consumer path, a full replay of the log into the
 * durable store (every event redelivered) changing no row, and `sdp rebuild`
 * (platform/rebuild.ts and the CLI command) recomputing the same numbers,
 * restoring a corrupted store, and leaving the consumer group where normal
 * ingest resumes with only the newer events.
 */
import { Writable } from 'node:stream';
import { rebuildCommand } from '../../cli/rebuild';
import { deadLetterTopic, type SdpConfig } from '../../config/env';
import { openCassandraSession, type CassandraSession } from '../../platform/cassandra';
import { rebuildProduct, RebuildError } from '../../platform/rebuild';
import { consumerGroup } from '../../platform/start';
import { createEventLog } from '../../streams';
import { toMessage } from '../../streams/check';
import { startIngest, type IngestHandle } from '../../streams/ingest';
import type { EventLog, StartFrom } from '../../streams/port';
import { loadEventSchemas } from '../../streams/schemas';
import editstats from '../../subgraphs/editstats/product';
import { openCassandraEditStatsStore } from '../../subgraphs/editstats/store/cassandra';
import {
  EDITSTATS_MIGRATIONS,
  EDITSTATS_PRODUCT,
  EDITSTATS_TABLES,
} from '../../subgraphs/editstats/store/migrations';
import type { EditStatsStore } from '../../subgraphs/editstats/store/port';
import type { PageChangeEvent } from '../../streams/contracts/page-change';
import { dropTestKeyspaces, testCassandraConfig } from '../harness/cassandra';
import { testKafkaBrokers, testLogger, uniqueTopic } from '../harness/kafka';
import { waitFor } from '../harness/wait';
import { EditHistory } from './history';

const run = uniqueTopic('rb').replace(/[^a-z0-9]/g, '');
const env = {
  SDP_KAFKA_BROKERS: testKafkaBrokers(),
  SDP_KAFKA_CLIENT_ID: 'sdp-test',
  SDP_KAFKA_SESSION_TIMEOUT_MS: '6000',
  SDP_TOPIC_PREFIX: `${run}.`,
  SDP_CONSUMER_GROUP_PREFIX: run,
  SDP_LOG_LEVEL: 'silent',
};
const config: SdpConfig = testCassandraConfig(env);
const topic = `${run}.mediawiki.page_change.v1`;
const groupId = consumerGroup(config, 'editstats', 'mediawiki.page_change.v1');
const binding = editstats.streams[0]!;
const schemas = loadEventSchemas();
const logger = testLogger();

let log: EventLog;
let store: EditStatsStore;
let session: CassandraSession;
const history = new EditHistory('enwiki', { seed: 21, meanGapMs: 20 * 60_000 }).run(600);

async function produce(events: readonly PageChangeEvent[], extra: { key: string; value: string }[] = []) {
  const producer = await log.producer();
  try {
    await producer.send(topic, [...events.map((e) => toMessage(binding, e)), ...extra]);
  } finally {
    await producer.close();
  }
}

/** Runs the product's ingest until it has handled everything up to the log end. */
async function ingestToEnd(startFrom: StartFrom): Promise<IngestHandle> {
  const high = await log.offsets(topic);
  const ingest = await startIngest({ log, schemas, binding, store, groupId, topic, logger, startFrom });
  try {
    await waitFor('ingest to reach the log end', () => {
      const at = new Map(ingest.stats().positions.map((p) => [p.partition, BigInt(p.offset)]));
      return high.every(
        (p) => BigInt(p.high) === BigInt(p.low) || (at.get(p.partition) ?? -1n) >= BigInt(p.high),
      );
    });
  } finally {
    await ingest.stop();
  }
  return ingest;
}

/** Every row of every table, sorted. */
async function rows(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of EDITSTATS_TABLES) {
    const all: string[] = [];
    for await (const page of session.pages(`SELECT * FROM ${table}`))
      for (const r of page) all.push(JSON.stringify(r));
    out[table] = all.sort();
  }
  return out;
}

/** What the store serves over the history's own days (histories of this file do not share days). */
async function served(h: EditHistory) {
  const days = h.days();
  const range = { startDay: days[0]!, endDay: days[days.length - 1]! };
  return {
    pages: await store.pageDailyStats(h.pages.map((p) => ({ wikiId: h.wikiId, pageId: p.pageId, ...range }))),
    wiki: await store.wikiDailyStats({ wikiId: h.wikiId, ...range }),
    top: await Promise.all(h.days().map((day) => store.topEditedPages({ wikiId: h.wikiId, day, limit: 10 }))),
  };
}

function oracle(h: EditHistory) {
  return {
    pages: h.pages.map((p) => h.pageSeries(p.pageId)),
    wiki: h.wikiSeries(),
    top: h.days().map((day) => h.top(day, 10)),
  };
}

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

beforeAll(async () => {
  log = createEventLog(config, logger);
  store = await openCassandraEditStatsStore(config);
  session = await openCassandraSession(config, EDITSTATS_PRODUCT, EDITSTATS_MIGRATIONS);
  // One schema-invalid event in the log: rebuilds must dead-letter it again, not stall on it.
  await produce(history.events, [
    { key: JSON.stringify({ wiki_id: 'enwiki', page_id: 1 }), value: '{"not":"a page change"}' },
  ]);
});

afterAll(async () => {
  await store?.close();
  await session?.close();
  await log?.close();
  await dropTestKeyspaces(config);
});

let ingested: Awaited<ReturnType<typeof served>>;
let ingestedRows: Record<string, string[]>;

test('ingest from Kafka counts the history exactly', async () => {
  const ingest = await ingestToEnd('earliest');
  expect(ingest.stats().deadLettered).toBe(1);
  ingested = await served(history);
  expect(ingested).toEqual(oracle(history));
  ingestedRows = await rows();
  expect(ingestedRows.wiki_day_bucket_edits!.length).toBe(
    history.events.filter((e) => ['create', 'edit'].includes(e.page_change_kind)).length,
  );
});

test('a consumer restarting before its commit (the whole log redelivered) changes no row', async () => {
  const replay = await ingestToEnd({ offsets: {} });
  expect(replay.stats().applied).toBe(history.events.length);
  expect(await rows()).toEqual(ingestedRows);
});

test('rebuild recomputes the same numbers and commits the group at the log end', async () => {
  const target = Object.fromEntries(
    (await log.offsets(topic)).filter((p) => p.high !== p.low).map((p) => [p.partition, p.high]),
  );
  const result = await rebuildProduct({ product: editstats, store, log, config, logger, pollIntervalMs: 20 });
  expect(result.streams).toEqual([
    {
      stream: 'mediawiki.page_change.v1',
      topic,
      groupId,
      target,
      committed: target,
      applied: history.events.length,
      deadLettered: 1,
    },
  ]);
  expect(await log.committed(groupId, topic)).toEqual(target);
  expect(await served(history)).toEqual(ingested);
  expect(await rows()).toEqual(ingestedRows);
});

test('`sdp rebuild` restores a store that was wiped and one that holds counts the log never had', async () => {
  const bogus = new EditHistory('enwiki', { seed: 99, firstPageId: 10_000, firstRevId: 1_000_000 }).run(50);
  await binding.apply(store, bogus.valid());
  expect((await rows()).wiki_day_bucket_edits!.length).toBeGreaterThan(
    ingestedRows.wiki_day_bucket_edits!.length,
  );
  const out = sink();
  const err = sink();
  expect(
    await rebuildCommand(
      ['editstats', '--from', 'earliest'],
      { ...process.env, ...cliEnv() },
      { stdout: out.stream, stderr: err.stream },
    ),
  ).toBe(0);
  expect(err.text()).toBe('');
  expect(out.text()).toMatch(
    new RegExp(`${topic}: applied ${history.events.length} event\\(s\\), dead-lettered 1`),
  );
  expect(await rows()).toEqual(ingestedRows);

  await store.reset();
  expect(await store.wikiDailyStats({ wikiId: 'enwiki', startDay: '20260101', endDay: '20261231' })).toEqual(
    [],
  );
  expect(
    await rebuildCommand(
      ['editstats', '--from', 'earliest'],
      { ...process.env, ...cliEnv() },
      { stdout: sink().stream, stderr: err.stream },
    ),
  ).toBe(0);
  expect(await served(history)).toEqual(ingested);
  expect(await rows()).toEqual(ingestedRows);
});

test('normal ingest resumes after the rebuilt range: only newer events are read', async () => {
  const more = new EditHistory('enwiki', {
    seed: 22,
    firstPageId: 5_000,
    firstRevId: 500_000,
    start: Date.UTC(2026, 0, 20),
  }).run(80);
  await produce(more.events);
  const resumed = await ingestToEnd('earliest');
  expect(resumed.stats().applied).toBe(more.events.length);
  expect(await served(more)).toEqual(oracle(more));
  // The older history's pages are untouched by the newer events on other pages.
  expect((await served(history)).pages).toEqual(ingested.pages);
});

test('the dead letters of the rebuilds are copies of the one invalid event', async () => {
  const dlq = await log.offsets(deadLetterTopic(topic));
  // Ingest, replay, rebuild and two `sdp rebuild` runs each dead-lettered it once.
  expect(dlq.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0)).toBe(5);
});

test('a store that cannot be reset cannot be rebuilt, and nothing is consumed', async () => {
  const before = await log.committed(groupId, topic);
  const noReset = { description: 'test store', durable: true, close: async () => undefined };
  await expect(
    rebuildProduct({ product: editstats, store: noReset as EditStatsStore, log, config, logger }),
  ).rejects.toThrow(
    new RebuildError('editstats cannot be rebuilt: its store (test store) cannot be reset (no reset())'),
  );
  expect(await log.committed(groupId, topic)).toEqual(before);
});

/** The environment `sdp rebuild` reads, for the same servers, keyspace, topic and group as this file. */
function cliEnv(): Record<string, string> {
  return {
    ...env,
    SDP_CASSANDRA_CONTACT_POINTS: config.cassandraContactPoints!.join(','),
    SDP_CASSANDRA_KEYSPACE_PREFIX: config.cassandraKeyspacePrefix,
    SDP_CASSANDRA_CONSISTENCY: 'ONE',
  };
}
