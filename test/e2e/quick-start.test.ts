/**
 * The quick start, in-process: the platform on embedded defaults (no servers),
 * the demo feeder on. Pages appear through the gateway and keep changing, and
 * every example a newcomer is shown (README.md's GraphQL blocks, GraphiQL's
 * welcome operations) answers with data.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { startPlatform, type Platform } from '../../platform/start';
import { DAY_MS, hourOf } from '../../subgraphs/pageviews/timestamps';
import {
  emptiness,
  graphiqlDefaultQuery,
  operationsOf,
  readmeExamples,
  type Example,
} from '../harness/examples';
import { createApiKey, queryGateway } from '../harness/platform';
import { pollUntil } from '../harness/wait';

let platform: Platform;
/** Editors' names and blocks are personal data: the checks below read them with `pii:read`. */
let key: string;

beforeAll(async () => {
  const config = loadConfig({
    SDP_PORT: '0',
    SDP_SUBGRAPH_PORT_BASE: '0',
    SDP_DEMO_RATE: '50',
    SDP_LOG_LEVEL: 'warn',
    SDP_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sdp-quick-start-')),
  });
  ({ key } = await createApiKey(config, ['pii:read']));
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

function gql<T>(query: string): Promise<T> {
  return queryGateway<T>(platform.gatewayUrl, query, key);
}

async function pages(): Promise<PagesResult['pages']['edges']> {
  return (await gql<PagesResult>(QUERY)).pages.edges;
}

/** `YYYYMMDD00` of the UTC day `daysAgo` days before now. */
function aqsDay(daysAgo: number): string {
  return new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '') + '00';
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
  expect(graphiql).toContain('query PagesInIdOrder');
});

interface CrossProductPage {
  title: string;
  latestRevision: { editor: { name: string; isAnonymous: boolean; block: { expiry: string } | null } | null };
  pageviews: { timestamp: string; views: number }[];
  editStats: { timestamp: string; edits: number; anonymousEdits: number }[];
}

test('the cross-product query has data in every field: editors and blocks, past pageviews and edit counts', async () => {
  // A month of the demo's history (it covers the past year), as the query asks for January.
  const [start, end] = [aqsDay(300), aqsDay(270)];
  type Ref = { page: { title: string; namespace: number } | null };
  const cross = ({ page }: Ref) =>
    gql<{
      page: CrossProductPage | null;
    }>(`{ page(wikiId: "enwiki", namespace: ${page!.namespace}, title: ${JSON.stringify(page!.title)}) {
      title
      latestRevision { editor { name isAnonymous block { expiry } } }
      pageviews(start: "${start}", end: "${end}") { timestamp views }
      editStats(start: "${start}", end: "${end}") { timestamp edits anonymousEdits }
    } }`);

  // The month's most edited page has edit statistics for it.
  const { wikiEditStats } = await pollUntil(
    () =>
      gql<{ wikiEditStats: { timestamp: string }[] }>(
        `{ wikiEditStats(wikiId: "enwiki", start: "${start}", end: "${end}") { timestamp } }`,
      ),
    (d) => d.wikiEditStats.length > 0,
    { intervalMs: 200 },
  );
  expect(wikiEditStats.length).toBeGreaterThan(0);
  const day = wikiEditStats[0]!.timestamp.slice(0, 8);
  const { topEditedPages } = await gql<{ topEditedPages: Ref[] }>(
    `{ topEditedPages(wikiId: "enwiki", date: "${day}", first: 1) { page { title namespace } } }`,
  );
  const edited = await cross(topEditedPages[0]!);
  expect(edited.page!.editStats.length).toBeGreaterThan(0);
  expect(edited.page!.editStats.every((p) => p.edits > 0 && p.timestamp >= start && p.timestamp <= end)).toBe(
    true,
  );

  // The day's most viewed page has daily pageviews over the month.
  const { topPages } = await gql<{ topPages: Ref[] }>(
    `{ topPages(wikiId: "enwiki", date: "${day}", first: 1) { page { title namespace } } }`,
  );
  const viewed = await cross(topPages[0]!);
  expect(viewed.page!.pageviews.length).toBeGreaterThan(20);
  expect(viewed.page!.pageviews.every((p) => p.views > 0)).toBe(true);

  // Editors resolve through the users product, and the demo blocks some of them, anonymous ones included.
  const editors = await pollUntil(
    async () =>
      (
        await gql<{ pages: { edges: { node: CrossProductPage }[] } }>(
          '{ pages(wikiId: "enwiki", first: 100) { edges { node { latestRevision { editor { name isAnonymous block { expiry } } } } } } }',
        )
      ).pages.edges.flatMap((e) => (e.node.latestRevision.editor ? [e.node.latestRevision.editor] : [])),
    (list) => list.some((e) => e.block !== null),
    { intervalMs: 200 },
  );
  expect(editors.some((e) => e.isAnonymous)).toBe(true);
  expect(editors.some((e) => e.block !== null && Date.parse(e.block.expiry) > Date.now())).toBe(true);
});

interface TopPage {
  rank: number;
  views: number;
  title: string;
  page: { pageId: string; title: string; pageviews: { timestamp: string; views: number }[] } | null;
}

test('the demo has pageviews for the last days, ranked and per page, joined with pages', async () => {
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
  const { topPages: top } = await pollUntil(
    () => gql<{ topPages: TopPage[] }>(query),
    (d) => d.topPages.length === 3,
    { intervalMs: 200 },
  );
  expect(top.map((t) => t.rank)).toEqual([1, 2, 3]);
  expect(top[0]!.views).toBeGreaterThanOrEqual(top[2]!.views);
  for (const t of top) {
    // Resolved by the pages product (a demo page it knows) over the `wikiId namespace title` key.
    expect(t.page?.title).toBe(t.title);
    expect(t.page!.pageId).toMatch(/^\d+$/);
    expect(t.page!.pageviews.length).toBeGreaterThanOrEqual(3);
    expect(t.page!.pageviews.every((p) => p.views > 0)).toBe(true);
  }
});

/**
 * How an example is run: README examples as the reader the README tells to make a key
 * (`pii:read`, declaring a purpose, see "Access and policy"); GraphiQL's welcome operations
 * as whoever opens the page, anonymously, so they must not ask for personal data.
 */
type Caller = 'reader with a pii:read key' | 'anonymous';

/** An example's answer: its GraphQL errors and what in its data is empty (both none when it shows data). */
async function answer(
  example: Example,
  caller: Caller,
): Promise<{ errors: unknown[] | undefined; empty: string[] }> {
  const res = await fetch(`${platform.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(caller === 'anonymous' ? {} : { authorization: `Bearer ${key}`, 'sdp-purpose': 'moderation' }),
    },
    body: JSON.stringify({ query: example.query, operationName: example.operationName }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  return { errors: body.errors, empty: emptiness(body.data) };
}

/** Ingest is asynchronous: asks until the answer shows data, or returns the last answer. */
function answerOnceIngested(example: Example, caller: Caller) {
  return pollUntil(
    () => answer(example, caller),
    (a) => a.errors === undefined && a.empty.length === 0,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

describe('README examples', () => {
  const examples = readmeExamples();

  test('are found: one per ```graphql block', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  test.each(examples)('$source answers with data, no errors and no empty list', async (example) => {
    expect(await answerOnceIngested(example, 'reader with a pii:read key')).toEqual({
      errors: undefined,
      empty: [],
    });
  });
});

test('every operation GraphiQL opens with answers with data, no errors and no empty list', async () => {
  const html = await (await fetch(`${platform.gatewayUrl}/`)).text();
  const operations = operationsOf(graphiqlDefaultQuery(html), 'GraphiQL');
  // One per product.
  expect(operations.length).toBe(platform.products.length);
  for (const operation of operations) {
    expect({ operation: operation.source, ...(await answerOnceIngested(operation, 'anonymous')) }).toEqual({
      operation: operation.source,
      errors: undefined,
      empty: [],
    });
  }
});

test('an answer that shows nothing is caught: a null top-level field, an empty list at any depth', () => {
  expect(emptiness({ page: null })).toEqual(['page is null']);
  expect(emptiness({ topPages: [] })).toEqual(['topPages is []']);
  expect(emptiness({ page: { title: 'Main_Page', pageviews: [] } })).toEqual(['page.pageviews is []']);
  expect(emptiness({ page: { title: 'Main_Page', redirectTarget: null } })).toEqual([]);
  expect(emptiness(null)).toEqual(['data']);
});

test('the landmarks README.md describes are there: Main_Page, and Lindisfarne_Gospels last edited by a blocked editor', async () => {
  const { page, mainPage, user } = await pollUntil(
    () =>
      gql<{
        page: { pageId: string; latestRevision: { editor: { name: string; block: unknown } | null } } | null;
        mainPage: { pageId: string; revisions: { edges: unknown[] } } | null;
        user: {
          block: {
            expiry: string | null;
            isSitewide: boolean;
            restrictions: { pageId: string | null }[];
          } | null;
        } | null;
      }>(`{
        page(wikiId: "enwiki", title: "Lindisfarne_Gospels") { pageId latestRevision { editor { name block { expiry } } } }
        mainPage: page(wikiId: "enwiki", title: "Main_Page") { pageId revisions(first: 100) { edges { cursor } } }
        user(wikiId: "enwiki", name: "Nettlebrook") { block { expiry isSitewide restrictions { pageId } } }
      }`),
    (d) =>
      d.user?.block != null &&
      d.page?.latestRevision.editor?.block != null &&
      d.mainPage?.revisions.edges.length === 31,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  expect(mainPage?.pageId).toBe('15580374');
  // One revision a day of January 2026.
  expect(mainPage?.revisions.edges).toHaveLength(31);
  expect(page?.latestRevision.editor).toEqual({ name: 'Nettlebrook', block: { expiry: null } });
  expect(user?.block).toEqual({ expiry: null, isSitewide: false, restrictions: [{ pageId: page!.pageId }] });
});
