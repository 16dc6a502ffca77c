/**
 * Hostile input against the embedded platform (`npm start`'s configuration,
 * demand control at its defaults): every case gets its documented code and
 * HTTP status, never a 500, and `/health` keeps answering while the hostile
 * requests run. The health bound is generous (the machine running the suite is
 * shared): what it catches is a gateway frozen for seconds, as these requests
 * froze it before demand control (README "Limits and budgets" has the
 * measured before/after table).
 */
import { loadConfig, type SdpConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { streamBindings } from '../../platform/products';
import { startPlatform, type Platform } from '../../platform/start';
import { toMessage } from '../../streams/check';
import { pageChange } from '../fixtures/page-change';
import { isolatedPlatformEnv, queryGateway } from '../harness/platform';
import { eventually } from '../harness/wait';

let platform: Platform;
let config: SdpConfig;
const PAGE_ID = 5150;

beforeAll(async () => {
  config = loadConfig(isolatedPlatformEnv());
  platform = await startPlatform({ config, logger: createLogger(config.logLevel) });
  // One page, so entity paths (pageviews, the revision↔page cycle) have something to resolve.
  const producer = await platform.log.producer();
  const binding = streamBindings().get('mediawiki.page_change.v1')!;
  const event = pageChange({ kind: 'create', pageId: PAGE_ID, title: 'Hostile_Input', revId: 9001 });
  await producer.send(config.topicPrefix + 'mediawiki.page_change.v1', [toMessage(binding, event)]);
  await producer.close();
  await eventually(async () => {
    const data = await queryGateway<{ page: { title: string } | null }>(
      platform.gatewayUrl,
      `{ page(wikiId: "enwiki", pageId: "${PAGE_ID}") { title } }`,
    );
    expect(data.page?.title).toBe('Hostile_Input');
  });
});

afterAll(() => platform.stop());

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  headers: Headers;
}

async function post(body: unknown): Promise<Answer> {
  const res = await fetch(`${platform.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
}

const aliases = (n: number, field: string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
const cycle = (levels: number) =>
  `{ page(wikiId: "enwiki", pageId: "${PAGE_ID}") { ${'latestRevision { page { '.repeat(levels)}title${' } }'.repeat(levels)} } }`;
const fragmentBomb = () => {
  const fragments = ['fragment F0 on Page { pageId title }'];
  for (let i = 1; i < 30; i++) fragments.push(`fragment F${i} on Page { ...F${i - 1} ...F${i - 1} }`);
  return `{ page(wikiId: "enwiki", pageId: "${PAGE_ID}") { ...F29 } }\n${fragments.join('\n')}`;
};
const pageviews = (start: string, end: string, granularity = 'DAILY') =>
  `{ page(wikiId: "enwiki", pageId: "${PAGE_ID}") { pageviews(start: "${start}", end: "${end}", granularity: ${granularity}) { views } } }`;

/** [case, request body, HTTP status, error code]; no code: the request is served. */
const CASES: [string, unknown, number, string][] = [
  [
    'two operations without operationName',
    { query: 'query A { __typename } query B { __typename }' },
    400,
    'OPERATION_RESOLUTION_FAILURE',
  ],
  [
    'an operationName that names none',
    { query: 'query A { __typename }', operationName: 'B' },
    400,
    'OPERATION_RESOLUTION_FAILURE',
  ],
  ['a 200-level revision↔page cycle', { query: cycle(200) }, 400, 'MAX_DEPTH_EXCEEDED'],
  ['a 7-level cycle (anonymous depth limit 12)', { query: cycle(7) }, 400, 'MAX_DEPTH_EXCEEDED'],
  [
    '1,000 aliases of pages(first: 100)',
    { query: aliases(1_000, 'pages(wikiId: "enwiki", first: 100) { edges { node { pageId } } }') },
    400,
    'MAX_TOKENS_EXCEEDED',
  ],
  ['31 aliases (anonymous limit 30)', { query: aliases(31, '__typename') }, 400, 'MAX_ALIASES_EXCEEDED'],
  ['11 root fields', { query: `{ ${'__typename '.repeat(11)}}` }, 400, 'MAX_ROOT_FIELDS_EXCEEDED'],
  [
    '31 directives',
    { query: `{ page(wikiId: "enwiki", pageId: "1") { ${'... @include(if: true) { title } '.repeat(31)}} }` },
    400,
    'MAX_DIRECTIVES_EXCEEDED',
  ],
  ['a fragment bomb (2^29 fields expanded)', { query: fragmentBomb() }, 400, 'MAX_FIELDS_EXCEEDED'],
  [
    '700 copies of one field with a sub-selection (quadratic validation)',
    { query: `{ ${'pages(wikiId: "a", first: 1) { pageInfo { hasNextPage } } '.repeat(700)}}` },
    400,
    'MAX_TOKENS_EXCEEDED',
  ],
  [
    '1,000 operations',
    {
      query: Array.from({ length: 1_000 }, (_, i) => `query Q${i} { __typename }`).join(' '),
      operationName: 'Q1',
    },
    400,
    'MAX_TOKENS_EXCEEDED',
  ],
  [
    'pages(first: 1000000)',
    { query: '{ pages(wikiId: "enwiki", first: 1000000) { edges { node { pageId } } } }' },
    400,
    'COST_ESTIMATED_TOO_EXPENSIVE',
  ],
  [
    'topPages(first: 1000000)',
    { query: '{ topPages(wikiId: "enwiki", date: "20260115", first: 1000000) { rank } }' },
    400,
    'COST_ESTIMATED_TOO_EXPENSIVE',
  ],
  [
    'pages(first: -5)',
    { query: '{ pages(wikiId: "enwiki", first: -5) { edges { node { pageId } } } }' },
    200,
    'BAD_USER_INPUT',
  ],
  [
    'a bad cursor',
    { query: '{ pages(wikiId: "enwiki", first: 5, after: "%%%") { edges { node { pageId } } } }' },
    200,
    'BAD_USER_INPUT',
  ],
  ['a bad date', { query: pageviews('2026133100', '20260101') }, 200, 'BAD_USER_INPUT'],
  [
    'a MONTHLY pageviews range 19700101–99991231',
    { query: pageviews('19700101', '99991231', 'MONTHLY') },
    200,
    'BAD_USER_INPUT',
  ],
  [
    'an editstats range 19700101–99991231',
    { query: '{ wikiEditStats(wikiId: "enwiki", start: "19700101", end: "99991231") { edits } }' },
    200,
    'BAD_USER_INPUT',
  ],
  ['a body of 2 MB', { query: '{ __typename }', padding: 'x'.repeat(2_000_000) }, 413, 'PAYLOAD_TOO_LARGE'],
  [
    // A name lookup is personal data: the anonymous caller is refused before any subgraph sees the 900 KB.
    'oversized variables (900 KB) for a name',
    {
      query: 'query ($n: String!) { user(wikiId: "enwiki", name: $n) { isAnonymous } }',
      variables: { n: 'x'.repeat(900_000) },
    },
    200,
    'UNAUTHORIZED_FIELD_OR_TYPE',
  ],
  [
    'oversized variables (900 KB) for a title',
    {
      query: 'query ($t: String!) { page(wikiId: "enwiki", title: $t) { title } }',
      variables: { t: 'x'.repeat(900_000) },
    },
    // No such page: null, no error, and no subgraph work beyond one key lookup.
    200,
    '',
  ],
  ['a body that is not JSON', '{"query": ', 400, 'BAD_REQUEST'],
  ['no query at all', {}, 400, 'BAD_REQUEST'],
  ['a syntax error', { query: '{ pages(' }, 400, 'GRAPHQL_PARSE_FAILED'],
];

test.each(CASES.map(([name, body, status, code]) => [name, status, code, body] as const))(
  '%s → HTTP %i %s',
  async (_name, status, code, body) => {
    const answer = await post(body);
    expect(answer.status).toBe(status);
    // Refusals of the HTTP layer (body too large, not JSON) come before a request id exists.
    if (!['PAYLOAD_TOO_LARGE', 'BAD_REQUEST'].includes(code)) {
      expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const codes = (answer.body.errors ?? []).map((e) => e.extensions?.code);
    if (code === '') expect(answer.body.errors).toBeUndefined();
    else expect(codes).toContain(code);
    // A refusal says which limit and how far over: the numbers are in the error.
    if (code.startsWith('MAX_') || code === 'COST_ESTIMATED_TOO_EXPENSIVE') {
      const extensions = answer.body.errors?.[0]?.extensions ?? {};
      expect(JSON.stringify(extensions)).toMatch(/"limit":\d+/);
    }
    expect(JSON.stringify(answer.body)).not.toMatch(/TypeError|ECONNREFUSED|at .*\.js:\d+/);
  },
);

test('/health answers while every hostile request runs at once', async () => {
  let worstMs = 0;
  let done = false;
  const hostile = Promise.all(CASES.flatMap(([, body]) => [post(body), post(body)])).finally(() => {
    done = true;
  });
  while (!done) {
    const started = performance.now();
    const res = await fetch(`${platform.gatewayUrl}/health`);
    expect(res.status).toBe(200);
    await res.text();
    worstMs = Math.max(worstMs, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const answers = await hostile;
  expect(answers.every((a) => a.status < 500)).toBe(true);
  // Measured at most 157 ms on a loaded 2-core machine (it froze for 13–29 s
  // before demand control); generous, as the suite shares the machine.
  expect(worstMs).toBeLessThan(2_000);
});

test('a well-formed README query still works, and reports its cost when asked', async () => {
  const answer = await post({
    query: '{ pages(wikiId: "enwiki", first: 5) { edges { node { pageId title } } } }',
    extensions: { cost: true },
  });
  expect(answer.status).toBe(200);
  expect(answer.body.errors).toBeUndefined();
  expect((answer.body as { extensions?: unknown }).extensions).toEqual({
    cost: { estimated: 11, actual: 3, limit: 5_000 },
  });
  expect(answer.headers.get('ratelimit-limit')).toBe('25000');
  expect(Number(answer.headers.get('ratelimit-remaining'))).toBeLessThan(25_000);
});
