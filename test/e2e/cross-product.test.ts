/**
 * One question across every data product and every kind of store, through the
 * gateway: a page (pages, MariaDB), its latest editor and that editor's block
 * (users, MariaDB), its daily pageviews (pageviews, Cassandra) and its edit
 * activity (editstats, Cassandra). Events of three streams go through the Kafka
 * test cluster; every number in the answer is checked against what this test
 * produced.
 *
 * Then the redelivery acceptance: a second platform over the same stores, with
 * fresh consumer groups, reads every event again from the start of the log. The
 * answer must not change: no count doubles, no row moves.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { SdpConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { streamBindings } from '../../platform/products';
import { startPlatform, type Platform } from '../../platform/start';
import { toMessage } from '../../streams/check';
import { pageChange, type EventSpec } from '../fixtures/page-change';
import { dropTestKeyspaces, testCassandraContactPoints } from '../harness/cassandra';
import { testKafkaConfig } from '../harness/kafka';
import { createTestDatabase, type TestDatabase } from '../harness/mariadb';
import { createApiKey, isolatedPlatformEnv, queryGateway } from '../harness/platform';
import { eventually } from '../harness/wait';

const run = randomUUID().slice(0, 8);
const kafka = new Kafka({
  clientId: 'e2e-cross-product',
  brokers: process.env.SDP_TEST_KAFKA_BROKERS!.split(','),
  logLevel: logLevel.NOTHING,
});
const bindings = streamBindings();

let db: TestDatabase;
let config: SdpConfig;
let producer: Producer;
const platforms: Platform[] = [];

let key: string;

function platformConfig(groupPrefix: string): SdpConfig {
  return testKafkaConfig({
    SDP_MARIADB_URL: db.url,
    SDP_CASSANDRA_CONTACT_POINTS: testCassandraContactPoints(),
    SDP_CASSANDRA_KEYSPACE_PREFIX: `x${run}_`,
    SDP_CASSANDRA_CONSISTENCY: 'ONE',
    // The events are dated January 2026: keep them whatever today's date, so the test does not age.
    SDP_PAGEVIEWS_HOURLY_RETENTION_DAYS: '0',
    SDP_PAGEVIEWS_DAILY_RETENTION_DAYS: '0',
    ...isolatedPlatformEnv(),
    SDP_TOPIC_PREFIX: `x${run}.`,
    SDP_CONSUMER_GROUP_PREFIX: groupPrefix,
  });
}

async function produce(stream: string, events: unknown[]): Promise<void> {
  const binding = bindings.get(stream);
  if (!binding) throw new Error(`no product consumes ${stream}`);
  await producer.send({
    topic: config.topicPrefix + stream,
    acks: -1,
    // Keyed as the platform keys the stream, so one entity's events share a partition.
    messages: events.map((event) => toMessage(binding, event)),
  });
}

/** True once every ingest of the platform has handled its topic up to the log end. */
async function caughtUp(platform: Platform): Promise<boolean> {
  for (const running of platform.products) {
    for (const [i, binding] of running.product.streams.entries()) {
      const positions = new Map(running.ingests[i]!.stats().positions.map((p) => [p.partition, p.offset]));
      for (const { partition, high } of await platform.log.offsets(config.topicPrefix + binding.stream)) {
        if (high !== '0' && BigInt(positions.get(partition) ?? '0') < BigInt(high)) return false;
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// What this test produces, and what the answer must therefore be

const TITLE = 'Cross_Product_Survey';
const PAGE_ID = 424242;
const IP = '198.51.100.7';
/** Revision ids are seconds after 2026-01-05T00:00Z in the fixture, so they choose the day and hour of each edit. */
const at = (day: number, hour: number) => (day - 5) * 86_400 + hour * 3_600;

const EDITS: EventSpec[] = [
  { kind: 'create', pageId: PAGE_ID, title: TITLE, revId: at(5, 10), editor: { name: 'Alice', id: 42 } },
  {
    kind: 'edit',
    pageId: PAGE_ID,
    title: TITLE,
    revId: at(5, 12),
    parentRevId: at(5, 10),
    editor: { name: IP },
  },
  {
    kind: 'edit',
    pageId: PAGE_ID,
    title: TITLE,
    revId: at(6, 9),
    parentRevId: at(5, 12),
    editor: { name: 'TidyBot', id: 77, bot: true },
  },
  {
    kind: 'edit',
    pageId: PAGE_ID,
    title: TITLE,
    revId: at(6, 10),
    parentRevId: at(6, 9),
    editor: { name: IP },
  },
];

/** Far ahead: a block whose expiry has passed no longer shows. */
const BLOCK_EXPIRY = '2099-02-01T00:00:00Z';
const BLOCK = {
  $schema: '/mediawiki/user/blocks-change/1.1.0',
  meta: { stream: 'mediawiki.user-blocks-change', dt: '2026-01-06T11:00:00Z', domain: 'en.wikipedia.org' },
  database: 'enwiki',
  user_text: IP,
  user_groups: ['*'],
  blocks: { name: false, email: false, user_talk: false, account_create: true, expiry_dt: BLOCK_EXPIRY },
  comment: 'Vandalism',
  performer: { user_text: 'Admin', user_id: 1, user_groups: ['*', 'user', 'sysop'], user_is_bot: false },
};

/** Views per hour: user-agent views by access, plus spider traffic the default (USER) query must leave out. */
function pageviewHour(day: number, hour: number, desktop: number, mobileWeb: number) {
  const dt = `2026-01-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;
  return {
    $schema: '/analytics/pageview_hourly/1.0.0',
    meta: { stream: 'analytics.pageview_hourly', dt, domain: 'en.wikipedia.org' },
    dt,
    wiki_id: 'enwiki',
    namespace_id: 0,
    page_title: TITLE,
    views: {
      desktop: { user: desktop, spider: 1000, automated: 3 },
      mobile_web: { user: mobileWeb, spider: 0, automated: 0 },
      mobile_app: { user: 0, spider: 0, automated: 0 },
    },
  };
}
const PAGEVIEWS = [
  pageviewHour(5, 10, 30, 12),
  pageviewHour(5, 11, 8, 4),
  pageviewHour(6, 0, 100, 50),
  pageviewHour(17, 23, 1, 0),
];

const QUERY = `{ page(wikiId: "enwiki", title: "${TITLE}") {
  title
  latestRevision { editor { name isAnonymous block { expiry } } }
  pageviews(start: "2026010100", end: "2026013100") { timestamp views }
  editStats(start: "2026010100", end: "2026013100") { timestamp edits anonymousEdits registeredEdits botEdits }
} }`;

const EXPECTED = {
  page: {
    title: TITLE,
    latestRevision: {
      editor: { name: IP, isAnonymous: true, block: { expiry: '2099-02-01T00:00:00.000Z' } },
    },
    pageviews: [
      { timestamp: '2026010500', views: 30 + 12 + 8 + 4 },
      { timestamp: '2026010600', views: 100 + 50 },
      { timestamp: '2026011700', views: 1 },
    ],
    editStats: [
      { timestamp: '2026010500', edits: 2, anonymousEdits: 1, registeredEdits: 1, botEdits: 0 },
      { timestamp: '2026010600', edits: 2, anonymousEdits: 1, registeredEdits: 0, botEdits: 1 },
    ],
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  config = platformConfig(`x${run}a`);
  producer = kafka.producer();
  await producer.connect();
  await produce('mediawiki.page_change.v1', EDITS.map(pageChange));
  await produce('mediawiki.user-blocks-change', [BLOCK]);
  await produce('analytics.pageview_hourly', PAGEVIEWS);
  // The editor's name is personal data: the query reads it with `pii:read` (a key in MariaDB, kept across both platforms).
  ({ key } = await createApiKey(config, ['pii:read']));
  platforms.push(await startPlatform({ config, logger: createLogger('warn') }));
});

afterAll(async () => {
  for (const p of platforms) await p.stop();
  await producer?.disconnect();
  await db?.drop();
  if (config) await dropTestKeyspaces(config);
});

test('one query crosses pages, users, pageviews and editstats and every number is right', async () => {
  const platform = platforms[0]!;
  expect(platform.products.map((p) => [p.product.name, p.store.durable])).toEqual([
    ['editstats', true],
    ['pages', true],
    ['pageviews', true],
    ['users', true],
  ]);
  await eventually(
    async () => expect(await queryGateway(platform.gatewayUrl, QUERY, key)).toEqual(EXPECTED),
    {
      timeoutMs: 60_000,
    },
  );
}, 90_000);

test('reading every event again (fresh consumer groups, same stores) changes nothing', async () => {
  await platforms[0]!.stop();
  const replay = await startPlatform({ config: platformConfig(`x${run}b`), logger: createLogger('warn') });
  platforms.push(replay);
  await eventually(async () => expect(await caughtUp(replay)).toBe(true), { timeoutMs: 60_000 });
  const applied = replay.products.flatMap((p) => p.ingests.map((i) => i.stats().applied));
  // Every product really consumed its streams a second time.
  expect(applied.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(EDITS.length * 3 + 1 + PAGEVIEWS.length);
  expect(await queryGateway(replay.gatewayUrl, QUERY, key)).toEqual(EXPECTED);
}, 90_000);
