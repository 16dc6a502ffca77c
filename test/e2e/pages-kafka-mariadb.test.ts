/**
 * End to end over real servers: page_change events produced to the Kafka test
 * cluster by a plain kafkajs client, consumed by the platform into MariaDB, read
 * back through the federated gateway over HTTP.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { SdpConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { startPlatform, type Platform } from '../../platform/start';
import { testKafkaConfig } from '../harness/kafka';
import { createTestDatabase } from '../harness/mariadb';
import { createApiKey, isolatedPlatformEnv, queryGateway } from '../harness/platform';
import { eventually } from '../harness/wait';
import { pageChange, type EventSpec } from '../fixtures/page-change';

const brokers = process.env.SDP_TEST_KAFKA_BROKERS!.split(',');
const run = randomUUID().slice(0, 8);
const topic = `e2e${run}.mediawiki.page_change.v1`;

let db: { url: string; drop(): Promise<void> };
let config: SdpConfig;
let platform: Platform | undefined;
/** Editor names are personal data (`@sensitive(class: PII)`): read with `pii:read`. */
let key: string;
let producer: Producer;
const kafka = new Kafka({ clientId: 'e2e-test', brokers, logLevel: logLevel.NOTHING });

async function start(): Promise<Platform> {
  platform = await startPlatform({ config, logger: createLogger('warn') });
  return platform;
}

async function produce(events: (EventSpec | string)[]): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: events.map((e) =>
      typeof e === 'string'
        ? { key: JSON.stringify({ wiki_id: 'enwiki', page_id: 1001 }), value: e }
        : {
            key: JSON.stringify({ wiki_id: 'enwiki', page_id: e.pageId }),
            value: JSON.stringify(pageChange(e)),
          },
    ),
  });
}

function gql<T = Record<string, unknown>>(query: string): Promise<T> {
  return queryGateway<T>(platform!.gatewayUrl, query, key);
}

const PAGE = `{ page(wikiId: "enwiki", pageId: "1001") { title namespace latestRevision { revId comment editor { name } } } }`;
const byTitle = (t: string) => `{ page(wikiId: "enwiki", title: "${t}") { pageId } }`;

beforeAll(async () => {
  db = await createTestDatabase();
  config = testKafkaConfig({
    ...isolatedPlatformEnv(`e2e${run}`),
    SDP_MARIADB_URL: db.url,
  });
  ({ key } = await createApiKey(config, ['pii:read']));
  producer = kafka.producer();
  await producer.connect();
  // The topic exists once something is produced to it (the test cluster auto-creates).
  await produce([{ kind: 'create', pageId: 1001, title: 'Alpha', revId: 5001, comment: 'new page' }]);
  await start();
});

afterAll(async () => {
  await platform?.stop();
  await producer?.disconnect();
  await db?.drop();
});

test('create → edit → move → delete → undelete, through the gateway', async () => {
  await eventually(async () => {
    expect((await gql(PAGE)).page).toEqual({
      title: 'Alpha',
      namespace: 0,
      latestRevision: { revId: '5001', comment: 'new page', editor: { name: 'Alice' } },
    });
  });

  await produce([
    { kind: 'edit', pageId: 1001, title: 'Alpha', revId: 5002, parentRevId: 5001, comment: 'copyedit' },
  ]);
  await eventually(async () => {
    expect((await gql<{ page: { latestRevision: { revId: string } } }>(PAGE)).page.latestRevision.revId).toBe(
      '5002',
    );
  });

  await produce([
    { kind: 'move', pageId: 1001, title: 'Beta', revId: 5003, parentRevId: 5002, priorTitle: 'Alpha' },
  ]);
  await eventually(async () => {
    expect((await gql(byTitle('Beta'))).page).toEqual({ pageId: '1001' });
    expect((await gql(byTitle('Alpha'))).page).toBeNull();
  });

  await produce([{ kind: 'delete', pageId: 1001, title: 'Beta', revId: 5003, dt: '2026-01-06T00:00:00Z' }]);
  await eventually(async () => {
    expect((await gql(PAGE)).page).toBeNull();
    expect((await gql(`{ revision(wikiId: "enwiki", revId: "5002") { revId } }`)).revision).toBeNull();
  });

  await produce([{ kind: 'undelete', pageId: 1001, title: 'Beta', revId: 5003, dt: '2026-01-06T01:00:00Z' }]);
  await eventually(async () => {
    const data = await gql<{ page: { title: string; revisions: { edges: { node: { revId: string } }[] } } }>(
      `{ page(wikiId: "enwiki", pageId: "1001") { title revisions(first: 10) { edges { node { revId } } } } }`,
    );
    // History survived the delete: the tombstone kept every revision.
    expect(data.page.title).toBe('Beta');
    expect(data.page.revisions.edges.map((e) => e.node.revId)).toEqual(['5003', '5002', '5001']);
  });
});

test('duplicates and out-of-order delivery never overwrite newer state', async () => {
  // The edit of r5002 again (a redelivery) and the create again: both older than the move.
  await produce([
    { kind: 'edit', pageId: 1001, title: 'Alpha', revId: 5002, parentRevId: 5001, comment: 'copyedit' },
    { kind: 'create', pageId: 1001, title: 'Alpha', revId: 5001, comment: 'new page' },
    // Then a genuinely new edit, so we know the older ones were consumed before it.
    {
      kind: 'edit',
      pageId: 1001,
      title: 'Beta',
      revId: 5004,
      parentRevId: 5003,
      comment: 'after the replay',
    },
  ]);
  await eventually(async () => {
    expect((await gql(PAGE)).page).toEqual({
      title: 'Beta',
      namespace: 0,
      latestRevision: { revId: '5004', comment: 'after the replay', editor: { name: 'Alice' } },
    });
  });
  expect((await gql(byTitle('Alpha'))).page).toBeNull();
});

test('a malformed event goes to the DLQ with its bytes and reason; the next valid event still applies', async () => {
  const garbage = '{"this is": not json';
  const invalid = JSON.stringify({
    ...pageChange({ kind: 'edit', pageId: 1001, title: 'Beta', revId: 5005 }),
    page_change_kind: 'explode',
  });
  await produce([
    garbage,
    invalid,
    { kind: 'edit', pageId: 1001, title: 'Beta', revId: 5006, parentRevId: 5004, comment: 'valid' },
  ]);
  await eventually(async () => {
    expect((await gql<{ page: { latestRevision: { revId: string } } }>(PAGE)).page.latestRevision.revId).toBe(
      '5006',
    );
  });

  const consumer = kafka.consumer({ groupId: `e2e${run}-dlq-reader` });
  const dead: { value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      dead.push({ value: message.value!.toString(), headers });
    },
  });
  // Every product consuming the stream (each in its own group) parks the same two events.
  const groups = platform!.products
    .filter((p) => p.product.streams.some((b) => b.stream === 'mediawiki.page_change.v1'))
    .map((p) => `e2e${run}.${p.product.name}.mediawiki.page_change.v1`);
  expect(groups).toContain(`e2e${run}.pages.mediawiki.page_change.v1`);
  try {
    await eventually(async () => expect(dead).toHaveLength(2 * groups.length), { timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  for (const group of groups) {
    const parked = dead.filter((d) => d.headers['sdp-dlq-consumer-group'] === group);
    expect(parked.map((d) => d.value)).toEqual([garbage, invalid]);
    for (const d of parked) {
      expect(d.headers['sdp-dlq-source-topic']).toBe(topic);
      expect(d.headers['sdp-dlq-source-offset']).toMatch(/^\d+$/);
      expect(d.headers['sdp-dlq-reason']).toBeTruthy();
    }
    expect(parked[1]!.headers['sdp-dlq-reason']).toMatch(/page_change_kind/);
  }
});

test('a restarted platform resumes from its committed offset: nothing lost, nothing re-read', async () => {
  await platform!.stop();
  platform = undefined;
  // Produced while the consumer is down.
  await produce([
    { kind: 'edit', pageId: 1001, title: 'Beta', revId: 5007, parentRevId: 5006, comment: 'while down' },
    { kind: 'create', pageId: 1002, title: 'Gamma', revId: 5008, comment: 'second page' },
  ]);
  const again = await start();
  await eventually(async () => {
    expect((await gql<{ page: { latestRevision: { revId: string } } }>(PAGE)).page.latestRevision.revId).toBe(
      '5007',
    );
    expect((await gql(byTitle('Gamma'))).page).toEqual({ pageId: '1002' });
  });
  // Only the two new events were read: the committed offset was honoured.
  const stats = again.products.find((p) => p.product.name === 'pages')!.ingests[0]!.stats();
  expect(stats.applied).toBe(2);
  expect(stats.deadLettered).toBe(0);
  // State is in MariaDB: the store survived the restart without any replay.
  const data = await gql<{ pages: { edges: { node: { pageId: string } }[] } }>(
    `{ pages(wikiId: "enwiki", first: 10) { edges { node { pageId } } } }`,
  );
  expect(data.pages.edges.map((e) => e.node.pageId)).toEqual(['1001', '1002']);
});
