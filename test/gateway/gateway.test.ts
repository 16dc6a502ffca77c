/**
 * The gateway end to end over real HTTP: two subgraph servers built from test
 * data products (a `widgets` product owning the `Widget` entity and a `reviews`
 * product extending it), composed in the test, behind a gateway on port 0.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { composeServices } from '@apollo/composition';
import { HeaderMap } from '@apollo/server';
import { GraphQLError, parse } from 'graphql';
import pino from 'pino';
import { startGateway, subgraphsOf, type RunningGateway } from '../../gateway/server';
import {
  close,
  createHttpServer,
  DEFAULT_MAX_BODY_BYTES,
  listen,
  urlFor,
  writeHTTPGraphQLResponse,
} from '../../platform/http';
import type { DataProduct, ProductStore } from '../../platform/product';
import { maskSubgraphError, startSubgraphServer, type RunningSubgraph } from '../../platform/subgraph-server';
import { ASSERTION_HEADER, signAssertion } from '../../platform/assertion';
import { anonymousPrincipal } from '../../platform/principal';

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

const WIDGETS_SDL = `${FEDERATION}
type Query {
  "Every widget."
  widgets: [Widget!]!
  "Answers after a delay, to have a request in flight."
  slow(ms: Int!): String!
}

"A widget."
type Widget @key(fields: "id") {
  "Widget id."
  id: ID!
  "Display name."
  name: String!
  "Fails with an internal error whose message must not reach clients."
  secret: String
  "Fails with a deliberate, client-facing error."
  refused: String
}
`;

const REVIEWS_SDL = `${FEDERATION}
type Query {
  "The best review."
  topReview: Review
}

"A widget, as reviews know it."
type Widget @key(fields: "id") {
  "Widget id."
  id: ID!
  "Reviews of this widget."
  reviews: [Review!]!
}

"A review of one widget."
type Review {
  "Stars, 1 to 5."
  stars: Int!
  "The reviewed widget."
  widget: Widget!
}
`;

class MemoryStore<TRow> implements ProductStore {
  readonly description = 'memory';
  readonly durable = false;
  constructor(readonly rows: TRow[]) {}
  async close(): Promise<void> {}
}

interface WidgetRow {
  id: string;
  name: string;
}
interface ReviewRow {
  widgetId: string;
  stars: number;
}

/** Records each context it hands out, so tests can see one context per request. */
const widgetContexts: object[] = [];

function widgetsProduct(
  sdlPath: string,
): DataProduct<MemoryStore<WidgetRow>, { store: MemoryStore<WidgetRow> }> {
  return {
    name: 'widgets',
    description: 'Test widgets.',
    owner: 'test',
    exampleQuery: '{ widgets { id } }',
    portOffset: 0,
    sdlPath,
    openStore: async () => new MemoryStore<WidgetRow>([]),
    context: (store) => {
      const context = { store };
      widgetContexts.push(context);
      return context;
    },
    streams: [],
    resolvers: {
      Query: {
        widgets: (_: unknown, __: unknown, { store }) => store.rows,
        slow: async (_: unknown, { ms }: { ms: number }) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          return `slept ${ms} ms`;
        },
      },
      Widget: {
        __resolveReference: ({ id }: { id: string }, { store }: { store: MemoryStore<WidgetRow> }) =>
          store.rows.find((w) => w.id === id) ?? null,
        secret: () => {
          throw new Error('connect ECONNREFUSED 10.1.2.3:3306 (user sdp, password hunter2)');
        },
        refused: () => {
          throw new GraphQLError('You may not see this.', { extensions: { code: 'FORBIDDEN' } });
        },
      },
    },
  };
}

function reviewsProduct(
  sdlPath: string,
): DataProduct<MemoryStore<ReviewRow>, { store: MemoryStore<ReviewRow> }> {
  return {
    name: 'reviews',
    description: 'Test reviews.',
    owner: 'test',
    exampleQuery: '{ __typename }',
    portOffset: 1,
    sdlPath,
    openStore: async () => new MemoryStore<ReviewRow>([]),
    context: (store) => ({ store }),
    streams: [],
    resolvers: {
      Query: {
        topReview: (_: unknown, __: unknown, { store }) =>
          [...store.rows].sort((a, b) => b.stars - a.stars)[0] ?? null,
      },
      Widget: {
        reviews: ({ id }: { id: string }, _: unknown, { store }: { store: MemoryStore<ReviewRow> }) =>
          store.rows.filter((r) => r.widgetId === id),
      },
      Review: {
        widget: (review: ReviewRow) => ({ __typename: 'Widget', id: review.widgetId }),
      },
    },
  };
}

/** A pino logger writing parsed lines into `lines`, so tests can assert on what was logged. */
function capturingLogger(lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

/** Subgraph servers answer the gateway only: requests the tests send them directly carry its assertion. */
const SUBGRAPH_SECRET = 'gateway-test-subgraph-secret-of-32-bytes';
const signed = () => ({
  [ASSERTION_HEADER]: signAssertion(SUBGRAPH_SECRET, anonymousPrincipal('test'), 'test'),
});

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A raw POST with node:http, for bodies fetch cannot send (chunked, no Content-Length). */
function rawPost(url: string, chunks: Buffer[], headers: http.OutgoingHttpHeaders) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('gateway over two subgraphs', () => {
  let dir: string;
  let widgets: RunningSubgraph;
  let reviews: RunningSubgraph;
  let gateway: RunningGateway;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sdp-gateway-'));
    await writeFile(path.join(dir, 'widgets.graphql'), WIDGETS_SDL);
    await writeFile(path.join(dir, 'reviews.graphql'), REVIEWS_SDL);
    const silent = pino({ level: 'silent' });
    widgets = await startSubgraphServer(
      widgetsProduct(path.join(dir, 'widgets.graphql')),
      new MemoryStore<WidgetRow>([
        { id: 'w1', name: 'Sprocket' },
        { id: 'w2', name: 'Gizmo' },
      ]),
      { port: 0, host: '127.0.0.1', logger: silent, secret: SUBGRAPH_SECRET },
    );
    reviews = await startSubgraphServer(
      reviewsProduct(path.join(dir, 'reviews.graphql')),
      new MemoryStore<ReviewRow>([
        { widgetId: 'w1', stars: 4 },
        { widgetId: 'w1', stars: 2 },
        { widgetId: 'w2', stars: 5 },
      ]),
      { port: 0, host: '127.0.0.1', logger: silent, secret: SUBGRAPH_SECRET },
    );

    // Composed with routing URLs that point nowhere: the gateway must use subgraphUrls.
    const composed = composeServices([
      { name: 'widgets', typeDefs: parse(WIDGETS_SDL), url: 'http://127.0.0.1:1/graphql' },
      { name: 'reviews', typeDefs: parse(REVIEWS_SDL), url: 'http://127.0.0.1:1/graphql' },
    ]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));

    gateway = await startGateway({
      supergraphSdl: composed.supergraphSdl,
      subgraphUrls: { widgets: widgets.url, reviews: reviews.url },
      port: 0,
      host: '127.0.0.1',
      logger: capturingLogger(logLines),
      access: { subgraphSecret: SUBGRAPH_SECRET },
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await widgets?.stop();
    await reviews?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers a query that crosses both subgraphs, in both directions', async () => {
    const { status, json } = await postJson(gateway.url, {
      operationName: 'Crossing',
      query: `query Crossing {
        widgets { id name reviews { stars } }
        topReview { stars widget { name } }
      }`,
    });
    expect(status).toBe(200);
    expect(json).toEqual({
      data: {
        widgets: [
          { id: 'w1', name: 'Sprocket', reviews: [{ stars: 4 }, { stars: 2 }] },
          { id: 'w2', name: 'Gizmo', reviews: [{ stars: 5 }] },
        ],
        topReview: { stars: 5, widget: { name: 'Gizmo' } },
      },
    });
    const logged = logLines.find((l) => l.operationName === 'Crossing');
    expect(logged).toMatchObject({
      msg: 'graphql operation',
      operationType: 'query',
      errors: 0,
      status: 200,
    });
    expect(typeof logged?.durationMs).toBe('number');
  });

  it('serves GET queries, behind Apollo CSRF prevention', async () => {
    const url = `${gateway.url}?query=${encodeURIComponent('{ widgets { id } }')}`;
    // A GET a browser could send cross-site (no preflight-forcing header) is refused.
    expect((await fetch(url)).status).toBe(400);
    const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { widgets: [{ id: 'w1' }, { id: 'w2' }] } });
  });

  it('builds one context per subgraph request', async () => {
    const before = widgetContexts.length;
    await postJson(gateway.url, { query: '{ widgets { id } }' });
    await postJson(gateway.url, { query: '{ widgets { id } }' });
    expect(widgetContexts.length - before).toBe(2);
    expect(widgetContexts[before]).not.toBe(widgetContexts[before + 1]);
  });

  it('masks internal subgraph errors but keeps deliberate ones', async () => {
    const { status, json } = await postJson(gateway.url, {
      operationName: 'Failing',
      query: 'query Failing { widgets { id secret refused } }',
    });
    expect(status).toBe(200);
    const text = JSON.stringify(json);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('10.1.2.3');
    expect(text).not.toMatch(/stacktrace|at Object\./);
    const messages = (json.errors as { message: string; path: unknown[] }[]).map((e) => [e.message, e.path]);
    expect(messages).toEqual(
      expect.arrayContaining([
        ['Internal server error', ['widgets', 0, 'secret']],
        ['You may not see this.', ['widgets', 0, 'refused']],
      ]),
    );
    expect(
      logLines.find((l) => l.operationName === 'Failing' && l.msg === 'graphql operation failed'),
    ).toMatchObject({
      msg: 'graphql operation failed',
      errors: 4,
    });
  });

  it('answers /health', async () => {
    const response = await fetch(`${gateway.baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('supports introspection', async () => {
    const { status, json } = await postJson(gateway.url, {
      query: '{ __schema { queryType { name } types { name } } }',
    });
    expect(status).toBe(200);
    expect(json.data.__schema.queryType.name).toBe('Query');
    const names = (json.data.__schema.types as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['Widget', 'Review']));
    // The API schema, not the supergraph: no federation machinery leaks.
    expect(names.filter((n) => n.startsWith('join__') || n === '_Entity')).toEqual([]);
  });

  it('rejects an invalid query with 400 and a validation error', async () => {
    const { status, json } = await postJson(gateway.url, { query: '{ widgets { nope } }' });
    expect(status).toBe(400);
    expect(json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(json.errors[0].message).toContain('nope');
  });

  it('rejects a body that is not JSON with 400', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    expect(
      ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
    ).toBe('BAD_REQUEST');
  });

  it('refuses a body over the limit with 413, by Content-Length or while streaming', async () => {
    const query = `{ widgets { id } } #${'x'.repeat(DEFAULT_MAX_BODY_BYTES)}`;
    const declared = await postJson(gateway.url, { query });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('connection')).toBe('close');
    expect(declared.json.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');

    // Chunked transfer: no declared length, so the limit is enforced as bytes arrive.
    const chunk = Buffer.alloc(256 * 1024, 'x');
    const streamed = await rawPost(
      gateway.url,
      [Buffer.from('{"query":"'), chunk, chunk, chunk, chunk, chunk],
      {
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
    );
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');

    // A body just under the limit is still read and executed.
    const fits = `{ widgets { id } } #${'x'.repeat(DEFAULT_MAX_BODY_BYTES - 100)}`;
    expect((await postJson(gateway.url, { query: fits })).status).toBe(200);
  });

  it('serves offline GraphiQL at / with local assets only', async () => {
    const response = await fetch(`${gateway.baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    // With no query given, GraphiQL opens on the entry points, which work on any supergraph.
    expect(html).toContain('query EntryPoints');

    const urls = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map(
      (m) => new URL(m[1] as string, `${gateway.baseUrl}/`),
    );
    expect(urls.map((u) => path.posix.basename(u.pathname)).sort()).toEqual([
      'graphiql.min.css',
      'graphiql.min.js',
      'react-dom.production.min.js',
      'react.production.min.js',
    ]);
    for (const url of urls) {
      expect(url.origin).toBe(new URL(gateway.baseUrl).origin);
      const asset = await fetch(url);
      expect(asset.status).toBe(200);
      const type = url.pathname.endsWith('.css')
        ? 'text/css; charset=utf-8'
        : 'text/javascript; charset=utf-8';
      expect(asset.headers.get('content-type')).toBe(type);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const body = Buffer.from(await asset.arrayBuffer());
      expect(body.length).toBeGreaterThan(1000);

      // Revalidation by ETag answers 304 without a body.
      const etag = asset.headers.get('etag') as string;
      const again = await fetch(url, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }

    // Compressed on request, and the bytes are those of the installed package.
    const js = urls.find((u) => u.pathname.endsWith('/graphiql.min.js')) as URL;
    const onDisk = await readFile(require.resolve('graphiql/graphiql.min.js'));
    const gzipped = await fetch(js, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(Buffer.from(await gzipped.arrayBuffer()).equals(onDisk)).toBe(true);

    expect((await fetch(`${gateway.baseUrl}/graphiql/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${gateway.baseUrl}/nowhere`)).status).toBe(404);
  });

  it('refuses subgraphUrls that name no subgraph', async () => {
    const sdl = (
      composeServices([
        { name: 'widgets', typeDefs: parse(WIDGETS_SDL), url: 'http://127.0.0.1:1/graphql' },
      ]) as {
        supergraphSdl: string;
      }
    ).supergraphSdl;
    expect(subgraphsOf(sdl)).toEqual([{ name: 'widgets', url: 'http://127.0.0.1:1/graphql' }]);
    await expect(
      startGateway({
        supergraphSdl: sdl,
        subgraphUrls: { widget: widgets.url },
        port: 0,
        host: '127.0.0.1',
        logger: pino({ level: 'silent' }),
      }),
    ).rejects.toThrow('subgraphUrls names widget, not in the supergraph (subgraphs: widgets)');
  });

  // Last: it stops a subgraph.
  it('is ready while every subgraph answers, and names the one that does not', async () => {
    const ready = await fetch(`${gateway.baseUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      // In supergraph order, which composition sorts by name.
      subgraphs: [
        { name: 'reviews', ok: true },
        { name: 'widgets', ok: true },
      ],
    });

    await reviews.stop();
    const notReady = await fetch(`${gateway.baseUrl}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      status: 'unavailable',
      unreachable: [{ name: 'reviews', error: 'ECONNREFUSED' }],
    });
    // Alive is not ready: /health still answers.
    expect((await fetch(`${gateway.baseUrl}/health`)).status).toBe(200);
  });
});

describe('subgraph server', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sdp-subgraph-'));
    await writeFile(path.join(dir, 'widgets.graphql'), WIDGETS_SDL);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('serves /health and the federation _service field', async () => {
    const subgraph = await startSubgraphServer(
      widgetsProduct(path.join(dir, 'widgets.graphql')),
      new MemoryStore<WidgetRow>([]),
      { port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), secret: SUBGRAPH_SECRET },
    );
    try {
      const health = await fetch(subgraph.url.replace(/\/graphql$/, '/health'));
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', subgraph: 'widgets' });
      const { json } = await postJson(subgraph.url, { query: '{ _service { sdl } }' }, signed());
      expect(json.data._service.sdl).toContain('type Widget');
    } finally {
      await subgraph.stop();
    }
  });

  it('finishes an in-flight request on stop, then closes the keep-alive connection at once', async () => {
    const subgraph = await startSubgraphServer(
      widgetsProduct(path.join(dir, 'widgets.graphql')),
      new MemoryStore<WidgetRow>([]),
      { port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), secret: SUBGRAPH_SECRET },
    );
    const agent = new http.Agent({ keepAlive: true });
    try {
      const body = JSON.stringify({ query: '{ slow(ms: 300) }' });
      const request = new Promise<{ status: number; connection: string | undefined; body: string }>(
        (resolve, reject) => {
          const req = http.request(
            subgraph.url,
            { method: 'POST', agent, headers: { 'content-type': 'application/json', ...signed() } },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c.toString()));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }),
              );
            },
          );
          req.on('error', reject);
          req.end(body);
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      await subgraph.stop();
      // Well under the 10 s grace period: the connection was closed when its response ended.
      expect(Date.now() - started).toBeLessThan(2_000);
      const answered = await request;
      expect(answered.status).toBe(200);
      expect(JSON.parse(answered.body)).toEqual({ data: { slow: 'slept 300 ms' } });
      await expect(fetch(subgraph.url)).rejects.toThrow();
    } finally {
      agent.destroy();
      await subgraph.stop();
    }
  });

  it('shows internal error messages only in development', () => {
    const logger = pino({ level: 'silent' });
    const formatted = { message: 'db down at 10.1.2.3', path: ['x'] };
    // As graphql-js wraps what a resolver throws: a GraphQLError with a path and the original.
    const internal = new GraphQLError('db down at 10.1.2.3', {
      path: ['x'],
      originalError: new Error('db down at 10.1.2.3'),
    });
    expect(maskSubgraphError(formatted, internal, logger, false)).toEqual({
      message: 'Internal server error',
      path: ['x'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(maskSubgraphError(formatted, internal, logger, true)).toBe(formatted);
  });
});

describe('platform/http streamed responses', () => {
  it('writes an incremental (chunked) body as it is produced, and stops the producer when the client leaves', async () => {
    let produced = 0;
    let finished = false;
    let respond: (res: http.ServerResponse, endless: boolean) => Promise<void> = async () => {};
    const server = createHttpServer(async (req, res) => respond(res, req.url === '/endless'));
    const address = await listen(server, 0, '127.0.0.1');
    respond = async (res, endless) => {
      async function* parts() {
        try {
          for (let i = 0; endless || i < 3; i++) {
            produced++;
            yield `part ${i}\n`;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        } finally {
          finished = true;
        }
      }
      await writeHTTPGraphQLResponse(res, {
        status: 200,
        headers: new HeaderMap([['content-type', 'multipart/mixed; boundary="-"']]),
        body: { kind: 'chunked', asyncIterator: parts() },
      }).catch(() => undefined); // the client leaving is expected in the second case
    };
    try {
      const complete = await fetch(urlFor(address, '/finite'));
      expect(complete.headers.get('transfer-encoding')).toBe('chunked');
      expect(await complete.text()).toBe('part 0\npart 1\npart 2\n');
      expect(finished).toBe(true);

      produced = 0;
      finished = false;
      const req = http.get(urlFor(address, '/endless'));
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      await once(res, 'data');
      req.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(finished).toBe(true);
      const after = produced;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(produced).toBe(after);
    } finally {
      await close(server);
    }
  });
});
