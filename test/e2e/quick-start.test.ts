/**
 * The quick start, in-process: the platform on embedded defaults (no servers),
 * the demo feeder on. Pages appear through the gateway and keep changing.
 */
import { loadConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { startPlatform, type Platform } from '../../platform/start';
import { pollUntil } from '../harness/wait';

let platform: Platform;

beforeAll(async () => {
  const config = loadConfig({
    SDP_PORT: '0',
    SDP_SUBGRAPH_PORT_BASE: '0',
    SDP_DEMO_RATE: '50',
    SDP_LOG_LEVEL: 'warn',
  });
  platform = await startPlatform({ config, logger: createLogger(config.logLevel) });
});

afterAll(() => platform.stop());

interface PagesResult {
  pages: {
    edges: {
      node: {
        pageId: string;
        title: string;
        latestRevision: { revId: string; timestamp: string; editor: { __typename: string } | null };
      };
    }[];
  };
}

const QUERY =
  '{ pages(wikiId:"enwiki", first:100) { edges { node { pageId title latestRevision { revId timestamp editor { __typename } } } } } }';

async function pages(): Promise<PagesResult['pages']['edges']> {
  const res = await fetch(`${platform.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await res.json()) as { data: PagesResult; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data.pages.edges;
}

test('the demo feeder fills the embedded platform and the data keeps changing', async () => {
  const first = await pollUntil(pages, (edges) => edges.length > 0, { intervalMs: 200 });
  expect(first.length).toBeGreaterThan(0);
  for (const { node } of first) {
    expect(node.title).not.toContain(' ');
    expect(node.latestRevision.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  const maxRev = (edges: typeof first) => Math.max(...edges.map((e) => Number(e.node.latestRevision.revId)));
  const before = maxRev(first);
  const later = await pollUntil(pages, (edges) => maxRev(edges) > before, { intervalMs: 200 });
  expect(maxRev(later)).toBeGreaterThan(before);

  const health = await fetch(`${platform.gatewayUrl}/health`);
  expect(health.status).toBe(200);
  const ready = await fetch(`${platform.gatewayUrl}/ready`);
  expect(ready.status).toBe(200);

  // GraphiQL opens on every product's own example operation.
  const graphiql = await (await fetch(`${platform.gatewayUrl}/`)).text();
  expect(graphiql).toContain('query RecentPages');
});
