/**
 * Differential test: the sdp gateway (`startGateway`, which executes queries on
 * its own engine) against stock Apollo (`ApolloGateway` + `ApolloServer`,
 * defaults but for sdp's error masking), both over real HTTP in front of the
 * same real subgraphs. Every query of the corpus
 * (test/gateway/differential/corpus.ts) and the W1 benchmark query must get
 * byte-identical answers (but for masked errors' request ids) with the same
 * HTTP status.
 */
import type http from 'node:http';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import pino from 'pino';
import { startW1Subgraphs, W1_QUERY } from '../../bench/w1';
import { maskInternalError } from '../../gateway/errors';
import { startGateway, type RunningGateway } from '../../gateway/server';
import { close, createGraphQLHandler, createHttpServer, listen, urlFor } from '../../platform/http';
import { CORPUS, type Outcome } from './differential/corpus';
import { broken, FIXTURE_SUBGRAPHS, ghost, type FixtureSubgraph } from './differential/subgraphs';

interface Served {
  url: string;
  /** Raw request bodies this server received, in order. */
  bodies: string[];
  stop(): Promise<void>;
}

async function serveApollo(apollo: ApolloServer<BaseContext>, bodies?: string[]): Promise<Served> {
  await apollo.start();
  const handler = createGraphQLHandler(apollo, { context: async () => ({}) });
  const recorded = bodies ?? [];
  const server: http.Server = createHttpServer(async (req, res) => {
    req.on('data', (chunk: Buffer) => recorded.push(chunk.toString()));
    return handler(req, res);
  });
  const url = urlFor(await listen(server, 0, '127.0.0.1'), '/graphql');
  return {
    url,
    bodies: recorded,
    stop: async () => {
      await close(server);
      await apollo.stop();
    },
  };
}

function serveSubgraph(subgraph: FixtureSubgraph): Promise<Served> {
  const schema = buildSubgraphSchema([{ typeDefs: parse(subgraph.typeDefs), resolvers: subgraph.resolvers }]);
  // Inline tracing off: stock asks for traces only when usage reporting is on, and it is not here.
  return serveApollo(new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] }));
}

/** A server that answers every request with the same raw HTTP response, whatever it is asked. */
async function serveRaw(status: number, contentType: string, body: string): Promise<Served> {
  const server = createHttpServer(async (req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  });
  const url = urlFor(await listen(server, 0, '127.0.0.1'), '/graphql');
  return { url, bodies: [], stop: () => close(server) };
}

/** A URL nothing listens on: bind an ephemeral port, then release it. */
async function deadUrl(): Promise<string> {
  const server = createHttpServer(async () => {});
  const url = urlFor(await listen(server, 0, '127.0.0.1'), '/graphql');
  await close(server);
  return url;
}

function compose(subgraphs: { name: string; typeDefs: string; url: string }[]): string {
  const result = composeServices(
    subgraphs.map((s) => ({ name: s.name, typeDefs: parse(s.typeDefs), url: s.url })),
  );
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

/**
 * Stock execution with the sdp gateway's error policy (its one `formatError`,
 * gateway/errors.ts): internal error text, such as a refused subgraph's
 * address, is masked on both sides, so what is compared is the execution.
 */
async function startStock(supergraphSdl: string): Promise<Served> {
  return serveApollo(
    new ApolloServer({
      gateway: new ApolloGateway({ supergraphSdl }),
      formatError: (formatted) => maskInternalError(formatted, false),
    }),
  );
}

/** The request id the sdp gateway adds to masked errors differs per request; the rest must be identical. */
function withoutRequestIds(text: string): string {
  return text.replace(/,"requestId":"[0-9a-f-]{36}"/g, '');
}

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  // Both gateways declare the body's length in bytes (the fixtures hold non-ASCII text).
  expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  return { status: response.status, text };
}

const logger = pino({ level: 'silent' });

function outcomeOf(json: {
  data?: unknown;
  errors?: unknown[];
  extensions?: { valueCompletion?: unknown };
}): Outcome {
  if (json.errors === undefined) return json.extensions?.valueCompletion ? 'value-completion' : 'data';
  if (!('data' in json)) return 'refused';
  return json.data === null ? 'null-data' : 'partial';
}

describe('sdp gateway answers exactly like stock Apollo', () => {
  const stops: (() => Promise<void>)[] = [];
  let subgraphs: Map<string, Served>;
  let stock: Served;
  let sdp: RunningGateway;

  beforeAll(async () => {
    subgraphs = new Map();
    for (const subgraph of FIXTURE_SUBGRAPHS) {
      const served = await serveSubgraph(subgraph);
      stops.push(served.stop);
      subgraphs.set(subgraph.name, served);
    }
    const unavailable = await serveRaw(503, 'text/plain', 'down for maintenance');
    const garbled = await serveRaw(200, 'application/json', '{"data": {"_entities": [');
    stops.push(unavailable.stop, garbled.stop);
    const [unavailableSubgraph, garbledSubgraph] = broken as [FixtureSubgraph, FixtureSubgraph];
    const supergraphSdl = compose([
      ...FIXTURE_SUBGRAPHS.map((s) => ({ ...s, url: (subgraphs.get(s.name) as Served).url })),
      { ...ghost, url: await deadUrl() },
      { ...unavailableSubgraph, url: unavailable.url },
      { ...garbledSubgraph, url: garbled.url },
    ]);
    stock = await startStock(supergraphSdl);
    stops.push(stock.stop);
    sdp = await startGateway({ supergraphSdl, port: 0, host: '127.0.0.1', logger });
    stops.push(() => sdp.stop());
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const body = {
      query: testCase.query,
      variables: testCase.variables,
      operationName: testCase.operationName,
    };
    const expected = await post(stock.url, body);
    const actual = await post(sdp.url, body);
    expect(actual.status).toBe(expected.status);
    expect(withoutRequestIds(actual.text)).toBe(expected.text);
    expect(outcomeOf(JSON.parse(actual.text))).toBe(testCase.outcome);
  });

  it('sends each distinct entity representation once, and stays identical', async () => {
    const inventory = subgraphs.get('inventory') as Served;
    inventory.bodies.length = 0;
    // r1 and r2 review the same product: two entities, one representation.
    const query = `{ topReviews(first: 2) { id product { id inStock } } }`;
    const actual = await post(sdp.url, { query });
    const sent = inventory.bodies
      .splice(0)
      .map((b) => JSON.parse(b) as { variables: { representations: unknown[] } });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.variables.representations).toEqual([{ __typename: 'Product', id: 'p1' }]);
    const expected = await post(stock.url, { query });
    const stockSent = inventory.bodies
      .splice(0)
      .map((b) => JSON.parse(b) as { variables: { representations: unknown[] } });
    expect(stockSent[0]?.variables.representations).toHaveLength(2);
    expect(actual.text).toBe(expected.text);
    expect(JSON.parse(actual.text)).toEqual({
      data: {
        topReviews: [
          { id: 'r1', product: { id: 'p1', inStock: true } },
          { id: 'r2', product: { id: 'p1', inStock: true } },
        ],
      },
    });
  });
});

describe('W1 (benchmark) query', () => {
  let w1: Awaited<ReturnType<typeof startW1Subgraphs>>;
  let stock: Served;
  let sdp: RunningGateway;

  beforeAll(async () => {
    w1 = await startW1Subgraphs();
    stock = await startStock(w1.supergraphSdl);
    sdp = await startGateway({ supergraphSdl: w1.supergraphSdl, port: 0, host: '127.0.0.1', logger });
  });

  afterAll(async () => {
    await sdp.stop();
    await stock.stop();
    await w1.stop();
  });

  it('gets the same ~90 KB answer from both gateways', async () => {
    const expected = await post(stock.url, { query: W1_QUERY });
    const actual = await post(sdp.url, { query: W1_QUERY });
    expect(actual.status).toBe(200);
    expect(actual.text).toBe(expected.text);
    expect(actual.text.length).toBeGreaterThan(80_000);
    expect(JSON.parse(actual.text).errors).toBeUndefined();
  });
});
