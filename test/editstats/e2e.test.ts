/**
 * End to end over real servers: page_change events produced to the Kafka test
 * cluster by a plain kafkajs client, consumed by the platform into Cassandra
 * (`editstats`) and the `pages` store, and read back through the federated
 * gateway over HTTP, where one query crosses both products on the `Page` entity.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { SdpConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { defaultRoutingUrls, loadProducts } from '../../platform/products';
import { startPlatform, type Platform } from '../../platform/start';
import { composeSupergraph } from '../../schema/compose';
import { pageChange, type EventSpec } from '../fixtures/page-change';
import { dropTestKeyspaces, testCassandraConfig } from '../harness/cassandra';
import { testKafkaBrokers } from '../harness/kafka';
import { isolatedPlatformEnv, queryGateway } from '../harness/platform';
import { eventually } from '../harness/wait';

const run = randomUUID().slice(0, 8);
const topic = `es${run}.mediawiki.page_change.v1`;
const kafka = new Kafka({
  clientId: 'e2e-test',
  brokers: testKafkaBrokers().split(','),
  logLevel: logLevel.NOTHING,
});
let config: SdpConfig;
let platform: Platform | undefined;
let producer: Producer;
/** Just the two products this test is about, as the platform discovers them. */
const products = loadProducts().filter((p) => p.name === 'pages' || p.name === 'editstats');

const IP = { name: '192.0.2.44' };
const USER = { name: 'Alice', id: 42 };
const BOT = { name: 'ArchiveBot', id: 77, bot: true };

/** An event whose revision was saved at `at` (the fixture dates revisions by id). */
function at(iso: string, spec: EventSpec) {
  const event = pageChange({ ...spec, dt: iso });
  event.revision.rev_dt = iso;
  return event;
}

const HISTORY = [
  at('2026-01-01T08:00:00Z', {
    kind: 'create',
    pageId: 7001,
    title: 'Alpha',
    revId: 9001,
    size: 400,
    editor: IP,
  }),
  at('2026-01-01T09:00:00Z', {
    kind: 'edit',
    pageId: 7001,
    title: 'Alpha',
    revId: 9002,
    parentRevId: 9001,
    size: 450,
    editor: USER,
  }),
  at('2026-01-01T10:00:00Z', {
    kind: 'create',
    pageId: 7002,
    title: 'Beta',
    revId: 9003,
    size: 100,
    editor: USER,
  }),
  at('2026-01-02T23:59:59Z', {
    kind: 'edit',
    pageId: 7001,
    title: 'Alpha',
    revId: 9004,
    parentRevId: 9002,
    size: 440,
    editor: IP,
  }),
  at('2026-01-05T00:00:00Z', {
    kind: 'move',
    pageId: 7001,
    title: 'Alpha_(letter)',
    revId: 9005,
    parentRevId: 9004,
    size: 440,
    editor: USER,
  }),
  at('2026-01-31T12:00:00Z', {
    kind: 'edit',
    pageId: 7001,
    title: 'Alpha_(letter)',
    revId: 9006,
    parentRevId: 9005,
    size: 3440,
    editor: BOT,
  }),
  at('2026-02-01T00:00:00Z', {
    kind: 'edit',
    pageId: 7001,
    title: 'Alpha_(letter)',
    revId: 9007,
    parentRevId: 9006,
    size: 3441,
    editor: USER,
  }),
];
// Sizes of the parents, as MediaWiki's prior_state carries them.
for (const e of HISTORY) {
  const parent = HISTORY.find((p) => p.revision.rev_id === e.revision.rev_parent_id);
  if (parent && e.page_change_kind === 'edit')
    e.prior_state = { revision: { rev_id: parent.revision.rev_id, rev_size: parent.revision.rev_size } };
}

async function produce(events: ReturnType<typeof pageChange>[]): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: events.map((e) => ({
      key: JSON.stringify({ wiki_id: e.wiki_id, page_id: e.page.page_id }),
      value: JSON.stringify(e),
    })),
  });
}

function gql<T>(query: string): Promise<T> {
  return queryGateway<T>(platform!.gatewayUrl, query);
}

/** The supergraph of just `pages` and `editstats`, composed the way `sdp compose` does. */
async function supergraph(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdp-es-e2e-'));
  try {
    for (const p of products) writeFileSync(path.join(dir, `${p.name}.graphql`), readFileSync(p.sdlPath));
    writeFileSync(path.join(dir, 'accepted-hints.json'), '[]');
    const urls = defaultRoutingUrls(products);
    const result = await composeSupergraph({ schemaDir: dir, routingUrls: urls });
    expect(result.errors).toEqual([]);
    return result.supergraphSdl!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  config = testCassandraConfig({
    SDP_KAFKA_BROKERS: testKafkaBrokers(),
    SDP_KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...isolatedPlatformEnv(`es${run}`),
  });
  producer = kafka.producer();
  await producer.connect();
  await produce(HISTORY);
  platform = await startPlatform({
    config,
    logger: createLogger('warn'),
    products,
    supergraphSdl: await supergraph(),
  });
});

afterAll(async () => {
  await platform?.stop();
  await producer?.disconnect();
  await dropTestKeyspaces(config);
});

const PAGE_STATS = `{
  page(wikiId: "enwiki", pageId: "7001") {
    title
    editStats(start: "2026010100", end: "2026013100") { timestamp edits anonymousEdits }
  }
}`;
const EXPECTED_SERIES = [
  { timestamp: '2026010100', edits: 2, anonymousEdits: 1 },
  { timestamp: '2026010200', edits: 1, anonymousEdits: 1 },
  // The move on 2026-01-05 saved a null revision: not an edit.
  { timestamp: '2026013100', edits: 1, anonymousEdits: 0 },
];

test('a page and its January edit statistics in one query across pages and editstats', async () => {
  await eventually(async () => {
    expect(await gql(PAGE_STATS)).toEqual({ page: { title: 'Alpha_(letter)', editStats: EXPECTED_SERIES } });
  });
});

test('the top edited pages of a day and the wiki series, through the gateway', async () => {
  const query = `{
    topEditedPages(wikiId: "enwiki", date: "2026010100", first: 5) {
      rank edits registeredEdits anonymousEdits netBytes page { pageId title }
    }
    wikiEditStats(wikiId: "enwiki", start: "20260101", end: "20260228") { timestamp edits registeredEdits anonymousEdits botEdits netBytes }
  }`;
  // Eventually: each page's events are on their own partition, consumed independently.
  await eventually(async () => {
    expect(await gql(query)).toEqual({
      topEditedPages: [
        {
          rank: 1,
          edits: 2,
          registeredEdits: 1,
          anonymousEdits: 1,
          netBytes: 450,
          page: { pageId: '7001', title: 'Alpha_(letter)' },
        },
        {
          rank: 2,
          edits: 1,
          registeredEdits: 1,
          anonymousEdits: 0,
          netBytes: 100,
          page: { pageId: '7002', title: 'Beta' },
        },
      ],
      wikiEditStats: [
        {
          timestamp: '2026010100',
          edits: 3,
          registeredEdits: 2,
          anonymousEdits: 1,
          botEdits: 0,
          netBytes: 550,
        },
        {
          timestamp: '2026010200',
          edits: 1,
          registeredEdits: 0,
          anonymousEdits: 1,
          botEdits: 0,
          netBytes: -10,
        },
        {
          timestamp: '2026013100',
          edits: 1,
          registeredEdits: 0,
          anonymousEdits: 0,
          botEdits: 1,
          netBytes: 3000,
        },
        {
          timestamp: '2026020100',
          edits: 1,
          registeredEdits: 1,
          anonymousEdits: 0,
          botEdits: 0,
          netBytes: 1,
        },
      ],
    });
  });
});

test('the same events delivered again change no count', async () => {
  // One new edit per page, so per partition: once both show, the duplicates before them were consumed.
  const sentinels = [
    at('2026-01-02T12:00:00Z', {
      kind: 'edit',
      pageId: 7002,
      title: 'Beta',
      revId: 9100,
      size: 100,
      editor: USER,
    }),
    at('2026-03-01T12:00:00Z', {
      kind: 'edit',
      pageId: 7001,
      title: 'Alpha_(letter)',
      revId: 9101,
      size: 9,
      editor: IP,
    }),
  ];
  await produce([...HISTORY, ...HISTORY.slice().reverse(), ...sentinels]);
  await eventually(async () => {
    const data = await gql<{ jan2: { edits: number }[]; mar1: { edits: number }[] }>(`{
      jan2: wikiEditStats(wikiId: "enwiki", start: "20260102", end: "20260102") { edits }
      mar1: wikiEditStats(wikiId: "enwiki", start: "20260301", end: "20260301") { edits }
    }`);
    expect(data).toEqual({ jan2: [{ edits: 2 }], mar1: [{ edits: 1 }] });
  });
  expect(await gql(PAGE_STATS)).toEqual({ page: { title: 'Alpha_(letter)', editStats: EXPECTED_SERIES } });
});

test('a page deleted since keeps its counts; its `pages` fields make its `page` null', async () => {
  await produce([
    at('2026-01-03T00:00:00Z', {
      kind: 'delete',
      pageId: 7002,
      title: 'Beta',
      revId: 9100,
      size: 100,
      editor: USER,
    }),
  ]);
  await eventually(async () => {
    expect(await gql(`{ page(wikiId: "enwiki", pageId: "7002") { title } }`)).toEqual({ page: null });
  });
  const top = (fields: string) =>
    gql(
      `{ topEditedPages(wikiId: "enwiki", date: "2026010100", first: 5) { rank edits page { ${fields} } } }`,
    );
  await eventually(async () => {
    expect(await top('pageId')).toEqual({
      topEditedPages: [
        { rank: 1, edits: 2, page: { pageId: '7001' } },
        { rank: 2, edits: 1, page: { pageId: '7002' } },
      ],
    });
  });
  expect(await top('pageId title')).toEqual({
    topEditedPages: [
      { rank: 1, edits: 2, page: { pageId: '7001', title: 'Alpha_(letter)' } },
      { rank: 2, edits: 1, page: null },
    ],
  });
});

test("GraphiQL's example operation for editstats runs without errors", async () => {
  const editstats = products.find((p) => p.name === 'editstats')!;
  const data = await gql<{ topEditedPages: unknown[]; wikiEditStats: unknown[] }>(editstats.exampleQuery);
  expect(Array.isArray(data.topEditedPages) && Array.isArray(data.wikiEditStats)).toBe(true);
});
