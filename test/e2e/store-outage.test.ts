/**
 * MariaDB goes away and comes back while events keep arriving: ingest retries the
 * same batch with back-off, commits nothing meanwhile, and applies everything once
 * the server is back. Queries fail clearly during the outage and recover after.
 */
import { loadConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { startPlatform, type Platform } from '../../platform/start';
import { pageChange } from '../fixtures/page-change';
import { createTestDatabase, type TestDatabase } from '../harness/mariadb';
import { isolatedPlatformEnv } from '../harness/platform';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy';
import { eventually } from '../harness/wait';

let db: TestDatabase;
let proxy: TcpProxy;
let platform: Platform;

beforeAll(async () => {
  db = await createTestDatabase();
  const url = new URL(db.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 3306) });
  url.host = `127.0.0.1:${proxy.port}`;
  const config = loadConfig({
    ...isolatedPlatformEnv(),
    SDP_MARIADB_URL: url.toString(),
    SDP_LOG_LEVEL: 'silent',
  });
  platform = await startPlatform({ config, logger: createLogger(config.logLevel) });
});

afterAll(async () => {
  await platform?.stop();
  await proxy?.close();
  await db?.drop();
});

async function produce(revId: number, title: string): Promise<void> {
  const producer = await platform.log.producer();
  await producer.send('mediawiki.page_change.v1', [
    {
      key: JSON.stringify({ wiki_id: 'enwiki', page_id: 1 }),
      value: JSON.stringify(pageChange({ kind: revId === 1 ? 'create' : 'move', pageId: 1, title, revId })),
    },
  ]);
  await producer.close();
}

async function query(): Promise<{
  status: number;
  body: { data?: { page: { title: string } | null }; errors?: unknown[] };
}> {
  const res = await fetch(`${platform.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ page(wikiId: "enwiki", pageId: "1") { title } }' }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

test('events produced during a MariaDB outage are applied once it is back; nothing is lost', async () => {
  await produce(1, 'Before_outage');
  await eventually(async () => expect((await query()).body.data?.page).toEqual({ title: 'Before_outage' }));
  const ingest = platform.products.find((p) => p.product.name === 'pages')!.ingests[0]!;
  // The counter moves when the store write has returned to ingest, which on a
  // loaded machine can be after a query already saw the write.
  await eventually(async () => expect(ingest.stats().applied).toBeGreaterThanOrEqual(1));
  const appliedBefore = ingest.stats().applied;

  await proxy.cut();
  await produce(2, 'During_outage');
  await produce(3, 'Still_during_outage');
  // The store is unreachable: queries fail with an error, ingest applies nothing.
  await eventually(async () => expect((await query()).body.errors).toBeDefined());
  await new Promise((r) => setTimeout(r, 1000));
  expect(ingest.stats().applied).toBe(appliedBefore);

  await proxy.restore();
  await eventually(
    async () => expect((await query()).body.data?.page).toEqual({ title: 'Still_during_outage' }),
    {
      timeoutMs: 30_000,
    },
  );
  expect(ingest.stats().applied).toBeGreaterThanOrEqual(appliedBefore + 2);
});
