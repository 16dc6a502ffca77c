/**
 * A deliberately cheap subgraph server for benchmarks. The benchmark measures
 * gateways, so the subgraphs must cost next to nothing: this serves a real
 * `@apollo/subgraph` schema over plain node:http, and since the W1 data is
 * static the answer to a request body never changes, so each distinct body is
 * executed once and its serialised answer replayed byte for byte afterwards.
 * A gateway sends a handful of distinct bodies per query shape, so the cache
 * stays tiny; it is bounded anyway, and bodies beyond the bound are simply
 * executed every time.
 */
import type http from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, GraphQLError, parse, validate, type DocumentNode, type ExecutionResult } from 'graphql';
import { close, createHttpServer, listen, sendJson, urlFor } from '../../platform/http';
import type { W1Subgraph } from './subgraphs';

const MAX_CACHED_BODIES = 1_000;
const MAX_BODY_BYTES = 1024 * 1024;

export interface RunningStaticSubgraph {
  name: string;
  url: string;
  stop(): Promise<void>;
}

interface GraphQLRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStaticSubgraph(
  subgraph: W1Subgraph,
  options: { host: string; port?: number },
): Promise<RunningStaticSubgraph> {
  const schema = buildSubgraphSchema([{ typeDefs: parse(subgraph.typeDefs), resolvers: subgraph.resolvers }]);
  const answers = new Map<string, Buffer>();
  const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();

  const documentFor = (query: string) => {
    let document = documents.get(query);
    if (document === undefined) {
      try {
        const parsed = parse(query);
        const errors = validate(schema, parsed);
        document = errors.length > 0 ? errors : parsed;
      } catch (error) {
        document = [error as GraphQLError];
      }
      if (documents.size < MAX_CACHED_BODIES) documents.set(query, document);
    }
    return document;
  };

  const answer = async (raw: string): Promise<{ status: number; body: Buffer }> => {
    let request: GraphQLRequestBody;
    try {
      request = JSON.parse(raw) as GraphQLRequestBody;
    } catch {
      return { status: 400, body: Buffer.from('{"errors":[{"message":"body is not JSON"}]}') };
    }
    if (typeof request.query !== 'string') {
      return { status: 400, body: Buffer.from('{"errors":[{"message":"no query"}]}') };
    }
    const document = documentFor(request.query);
    let result: ExecutionResult;
    if (Array.isArray(document)) {
      result = { errors: document as readonly GraphQLError[] };
    } else {
      result = await execute({
        schema,
        document: document as DocumentNode,
        variableValues: (request.variables ?? undefined) as Record<string, unknown> | undefined,
        operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
      });
    }
    return { status: 'data' in result ? 200 : 400, body: Buffer.from(JSON.stringify(result)) };
  };

  const server = createHttpServer(async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/graphql' || req.method !== 'POST') {
      sendJson(res, 404, { error: 'POST /graphql only' });
      return;
    }
    const raw = await readBody(req);
    let cached = answers.get(raw);
    if (cached === undefined) {
      const { status, body } = await answer(raw);
      if (status !== 200) {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(body);
        return;
      }
      cached = body;
      if (answers.size < MAX_CACHED_BODIES) answers.set(raw, cached);
    }
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': cached.length,
    });
    res.end(cached);
  });

  const address = await listen(server, options.port ?? 0, options.host);
  return {
    name: subgraph.name,
    url: urlFor(address, '/graphql'),
    stop: () => close(server),
  };
}
