/**
 * Demand control while requests run, end to end over real HTTP: two test
 * subgraphs (one quick, one that waits until told to stop) behind gateways
 * with demand control on. Covers the request deadline (partial data and
 * GATEWAY_TIMEOUT, the subgraph seeing the abort), a client that disconnects,
 * the response-size bound, budgets shared by two gateways through the real
 * Redis (SDP_TEST_REDIS_URL, test/harness/redis.ts; 429 with Retry-After and RateLimit fields), the
 * keyed tier's higher limits and trusted documents per tier.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import pino from 'pino';
import { loadConfig, type DemandConfig } from '../../config/env';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../gateway/server';
import { anonymousPrincipal, type Principal } from '../../platform/principal';
import type { ProductRequest } from '../../platform/product';
import { startSubgraphServer, type RunningSubgraph } from '../../platform/subgraph-server';
import { NO_STORE, sdlProduct } from '../harness/product';
import { startTcpProxy } from '../harness/tcp-proxy';

const FEDERATION =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@listSize"])';

const QUICK_SDL = `${FEDERATION}
type Query {
  "Answers at once."
  quick: String!
  "As many items as asked for."
  items(count: Int!): [Item!]! @listSize(slicingArguments: ["count"])
}

"One item."
type Item {
  "About a kilobyte of text."
  text: String!
}
`;
const SLOW_SDL = `${FEDERATION}
type Query {
  "Answers after \`ms\`, or fails as soon as the request's signal is aborted."
  slow(ms: Int!): String
}
`;

/** What the slow subgraph saw: every abort reason its requests' signals carried. */
const seenAborts: string[] = [];

const silent = pino({ level: 'silent' });
/** Subgraphs answer only calls signed with it (platform/assertion.ts); every gateway here signs with it. */
const SUBGRAPH_SECRET = randomUUID() + randomUUID();
let dir: string;
let quick: RunningSubgraph;
let slow: RunningSubgraph;
let supergraphSdl: string;
const gateways: RunningGateway[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sdp-demand-'));
  await writeFile(path.join(dir, 'quick.graphql'), QUICK_SDL);
  await writeFile(path.join(dir, 'slow.graphql'), SLOW_SDL);
  quick = await startSubgraphServer(
    sdlProduct('quick', path.join(dir, 'quick.graphql'), {
      Query: {
        quick: () => 'here',
        items: (_: unknown, { count }: { count: number }) =>
          Array.from({ length: count }, (_x, i) => ({ text: `item ${i} `.padEnd(1_000, '.') })),
      },
    }),
    NO_STORE,
    { port: 0, host: '127.0.0.1', logger: silent, secret: SUBGRAPH_SECRET },
  );
  slow = await startSubgraphServer(
    sdlProduct('slow', path.join(dir, 'slow.graphql'), {
      Query: {
        slow: (_: unknown, { ms }: { ms: number }, { signal }: ProductRequest) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => resolve(`slept ${ms} ms`), ms);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              seenAborts.push((signal.reason as Error).name);
              reject(signal.reason);
            });
          }),
      },
    }),
    NO_STORE,
    { port: 0, host: '127.0.0.1', logger: silent, secret: SUBGRAPH_SECRET },
  );
  const composed = composeServices([
    { name: 'quick', typeDefs: parse(QUICK_SDL), url: quick.url },
    { name: 'slow', typeDefs: parse(SLOW_SDL), url: slow.url },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  supergraphSdl = composed.supergraphSdl;
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  await quick?.stop();
  await slow?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Every request authenticates as `principal`: these tests are about the tiers
 * and budgets a principal gets, not about how it proved who it is
 * (test/gateway/authenticator.test.ts covers that).
 */
function asPrincipal(principal: Principal): GatewayOptions['access'] {
  return { authenticator: { authenticate: async () => ({ ok: true, principal }) } };
}

async function gatewayWith(env: Record<string, string>, extra: Partial<GatewayOptions> = {}) {
  const demand: DemandConfig = loadConfig(env).demand;
  const gateway = await startGateway({
    supergraphSdl,
    port: 0,
    host: '127.0.0.1',
    logger: silent,
    demand,
    ...extra,
    access: { subgraphSecret: SUBGRAPH_SECRET, ...extra.access },
  });
  gateways.push(gateway);
  return gateway;
}

async function post(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

const waitFor = async (check: () => boolean, timeoutMs = 5_000) => {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('deadline and cancellation', () => {
  it('answers with partial data and GATEWAY_TIMEOUT at the deadline, and the subgraph sees the abort', async () => {
    const gateway = await gatewayWith({ SDP_REQUEST_TIMEOUT_MS: '1000' });
    // Warm: plans and connections ready, so the quick half surely makes the deadline.
    await post(gateway.url, { query: '{ quick slow(ms: 1) }' });
    const before = seenAborts.length;
    const started = performance.now();
    const { status, json } = await post(gateway.url, { query: '{ quick slow(ms: 20000) }' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(status).toBe(200);
    expect(json.data).toEqual({ quick: 'here', slow: null });
    expect(json.errors).toEqual([
      {
        message: 'The request did not finish within 1000 ms. Fields not fetched by then are null.',
        extensions: { code: 'GATEWAY_TIMEOUT', timeoutMs: 1000 },
      },
    ]);
    // The subgraph's own signal fired: from the deadline header or the gateway dropping the call.
    await waitFor(() => seenAborts.length > before);
  });

  it('cancels the subgraph work of a client that disconnects', async () => {
    const gateway = await gatewayWith({ SDP_REQUEST_TIMEOUT_MS: '60000' });
    const before = seenAborts.length;
    const req = http.request(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ query: '{ slow(ms: 20000) }' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.destroy();
    await waitFor(() => seenAborts.length > before);
    expect(seenAborts.slice(before)).toContain('ClientDisconnected');
  });

  it('stops building an answer past SDP_MAX_RESPONSE_BYTES with RESPONSE_TOO_LARGE', async () => {
    const gateway = await gatewayWith({ SDP_MAX_RESPONSE_BYTES: '20000' });
    const small = await post(gateway.url, { query: '{ items(count: 5) { text } }' });
    expect(small.status).toBe(200);
    expect(small.json.data.items).toHaveLength(5);
    const { status, json } = await post(gateway.url, { query: '{ items(count: 100) { text } }' });
    expect(status).toBe(422);
    expect(json).toEqual({
      errors: [
        {
          message:
            'The answer is larger than the limit of 20000 bytes; ask for fewer fields or smaller pages.',
          extensions: { code: 'RESPONSE_TOO_LARGE', limit: 20000 },
        },
      ],
    });
  });
});

describe('tiers and budgets', () => {
  const keyed = (id: string): Principal => ({
    id: `key:${id}`,
    kind: 'api-key',
    tier: 'keyed',
    name: id,
    scopes: new Set(),
    clientAddress: '127.0.0.1',
  });

  it('gives keyed principals their higher limits', async () => {
    const query = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: quick`).join(' ')} }`;
    const anonymous = await gatewayWith({});
    expect((await post(anonymous.url, { query })).json.errors[0].extensions.code).toBe(
      'MAX_ALIASES_EXCEEDED',
    );
    const withKey = await gatewayWith({}, { access: asPrincipal(keyed('tiers')) });
    const { status, json } = await post(withKey.url, { query });
    expect(status).toBe(200);
    expect(json.data.a39).toBe('here');
    // The parser itself stops at the caller's tier's token limit: 2,000 for anonymous callers.
    const long = `{ ${'quick '.repeat(1_200)}}`.replace(/quick/g, (_m, i: number) => `q${i}: quick`);
    const refused = await post(anonymous.url, { query: long });
    expect(refused.status).toBe(400);
    expect(refused.json.errors[0]).toEqual({
      message: 'The document has more than 2000 tokens, the limit for this caller.',
      extensions: { code: 'MAX_TOKENS_EXCEEDED', limit: 2000 },
    });
    const keyedLong = await post(withKey.url, { query: `{ ${'quick '.repeat(3_000)}}` });
    expect(keyedLong.json.errors[0].extensions.code).toBe('MAX_ROOT_FIELDS_EXCEEDED');
  });

  it('shares a budget between two gateways through Redis: 429 with Retry-After and RateLimit fields', async () => {
    // A principal of its own, so earlier runs' buckets in the shared Redis do not count.
    const principal = { ...anonymousPrincipal('127.0.0.1'), id: `anonymous:test-${randomUUID()}` };
    const env = {
      SDP_REDIS_URL: process.env.SDP_TEST_REDIS_URL!,
      SDP_LIMITS_ANONYMOUS: 'costPerSecond=1,burst=30',
    };
    const first = await gatewayWith(env, { access: asPrincipal(principal) });
    const second = await gatewayWith(env, { access: asPrincipal(principal) });
    // items(count: 10) costs 10: a list of 10 objects (weight 1 each), sized by `count` (@listSize).
    const query = { query: '{ items(count: 10) { text } }' };
    const a = await post(first.url, query);
    expect(a.status).toBe(200);
    expect(a.headers.get('ratelimit-limit')).toBe('30');
    expect(a.headers.get('ratelimit-remaining')).toBe('20');
    expect(a.headers.get('ratelimit-policy')).toBe('30;w=30;comment="cost units"');
    expect((await post(second.url, query)).headers.get('ratelimit-remaining')).toBe('10');
    expect((await post(first.url, query)).headers.get('ratelimit-remaining')).toBe('0');
    const refused = await post(second.url, query);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(9);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.json.errors[0].extensions).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      cost: 10,
      remaining: 0,
    });
    // An operation that costs nothing (one scalar) still runs on an empty budget.
    expect((await post(first.url, { query: '{ quick }' })).status).toBe(200);
  });

  it('fails closed with 503 when Redis goes away, and serves again when it is back', async () => {
    const redis = new URL(process.env.SDP_TEST_REDIS_URL!);
    const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    const principal = { ...anonymousPrincipal('127.0.0.1'), id: `anonymous:test-${randomUUID()}` };
    const gateway = await gatewayWith(
      { SDP_REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
      { access: asPrincipal(principal) },
    );
    const query = { query: '{ items(count: 1) { text } }' };
    expect((await post(gateway.url, query)).status).toBe(200);
    await proxy.cut();
    const refused = await post(gateway.url, query);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.errors[0].extensions.code).toBe('BUDGET_STORE_UNAVAILABLE');
    await proxy.restore();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await post(gateway.url, query)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    await proxy.close();
  });

  it('refuses to start when Redis cannot be reached, naming the variable', async () => {
    await expect(gatewayWith({ SDP_REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toThrow(
      /SDP_REDIS_URL=redis:\/\/127\.0\.0\.1:1/,
    );
  });
});

describe('trusted documents', () => {
  it('runs only the manifest operations for anonymous callers, by id or text; keyed callers run anything', async () => {
    const body = 'query Quick { quick }';
    const manifest = path.join(dir, 'manifest.json');
    await writeFile(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: 'quick-v1', name: 'Quick', type: 'query', body }],
      }),
    );
    const gateway = await gatewayWith({ SDP_TRUSTED_DOCUMENTS: manifest });
    expect((await post(gateway.url, { query: body })).json.data).toEqual({ quick: 'here' });
    const byId = await post(gateway.url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: 'quick-v1' } },
    });
    expect(byId.json.data).toEqual({ quick: 'here' });
    const other = await post(gateway.url, { query: '{ quick }' });
    expect(other.status).toBe(403);
    expect(other.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const unknownId = await post(gateway.url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: 'nope' } },
    });
    expect(unknownId.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const keyedGateway = await gatewayWith(
      { SDP_TRUSTED_DOCUMENTS: manifest },
      {
        access: asPrincipal({
          id: 'key:trusted',
          kind: 'api-key',
          tier: 'keyed',
          name: 'trusted',
          scopes: new Set(),
          clientAddress: '127.0.0.1',
        }),
      },
    );
    expect((await post(keyedGateway.url, { query: '{ quick }' })).json.data).toEqual({ quick: 'here' });
  });
});
