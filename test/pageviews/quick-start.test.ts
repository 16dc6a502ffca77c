/**
 * `npm start` on a fresh clone, in-process: every product on its embedded
 * default with the demo feeder, and pageviews answering through the gateway,
 * joined with the pages product over the `wikiId namespace title` key.
 */
import { loadConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { startPlatform, type Platform } from '../../platform/start';
import { DAY_MS, hourOf } from '../../subgraphs/pageviews/timestamps';
import { pollUntil } from '../harness/wait';

let platform: Platform;

beforeAll(async () => {
  const config = loadConfig({ SDP_PORT: '0', SDP_SUBGRAPH_PORT_BASE: '0', SDP_LOG_LEVEL: 'warn' });
  platform = await startPlatform({ config, logger: createLogger(config.logLevel) });
});

afterAll(() => platform.stop());

interface TopResult {
  data?: {
    topPages: {
      rank: number;
      views: number;
      title: string;
      page: { pageId: string; title: string; pageviews: { timestamp: string; views: number }[] } | null;
    }[];
  };
  errors?: unknown[];
}

async function graphql<T>(query: string): Promise<T> {
  const res = await fetch(`${platform.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as T;
}

test('the demo has pageviews for the last days, ranked and per page, through the gateway', async () => {
  const today = hourOf(Date.now()).slice(0, 8);
  const threeDaysAgo = hourOf(Date.now() - 3 * DAY_MS).slice(0, 8);
  const query = `{
    topPages(wikiId: "enwiki", date: "${today}", first: 3) {
      rank
      views
      title
      page {
        pageId
        title
        pageviews(start: "${threeDaysAgo}", end: "${today}", access: ALL_ACCESS, agent: ALL_AGENTS) { timestamp views }
      }
    }
  }`;
  const result = await pollUntil(
    () => graphql<TopResult>(query),
    (r) => (r.data?.topPages.length ?? 0) === 3,
    { intervalMs: 200 },
  );
  expect(result.errors).toBeUndefined();
  const top = result.data!.topPages;
  expect(top.map((t) => t.rank)).toEqual([1, 2, 3]);
  expect(top[0]!.views).toBeGreaterThanOrEqual(top[2]!.views);
  for (const t of top) {
    // Resolved by the pages product (a demo page it knows), with the pageviews product's field.
    expect(t.page?.title).toBe(t.title);
    expect(t.page!.pageId).toMatch(/^\d+$/);
    expect(t.page!.pageviews.length).toBeGreaterThanOrEqual(3);
    expect(t.page!.pageviews.every((p) => p.views > 0)).toBe(true);
  }
});
