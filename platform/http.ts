/**
 * A minimal Node `http` binding for Apollo Server, shared by the gateway and every
 * subgraph server.
 *
 * Apollo Server 5 no longer ships an express integration; its framework-neutral
 * entry point is `executeHTTPGraphQLRequest`, which wants the request already
 * read and (for POST) JSON-parsed. This module does exactly that and nothing
 * else: a bounded body read, a strict JSON parse, header conversion, and writing
 * the answer back, complete or streamed (incremental delivery). Routing stays
 * with the caller, which is why the handler ignores `req.url`'s path.
 *
 * It also owns the server lifecycle bits every server needs the same way:
 * keep-alive tuning, `listen` that reports the bound address (port 0 in tests),
 * and a `close` that actually finishes: Node's `server.close()` leaves
 * keep-alive connections that are busy at that moment open indefinitely.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import type { Logger } from 'pino';

/** Default request body limit. GraphQL documents are small; anything bigger is abuse or a bug. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Server-side keep-alive idle timeout. It must exceed the idle timeout of whatever
 * reuses our connections (load balancers typically use 60 s): the side that times
 * out first must be the client, or a request sent on a connection the server is
 * closing at that instant fails with ECONNRESET. Node's 5 s default invites that.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface GraphQLHandlerOptions<TContext extends BaseContext> {
  /**
   * Builds the per-request context; errors it throws become Apollo's error
   * response (a GraphQLError's `extensions.http.status`, else 500).
   */
  context(req: http.IncomingMessage, res: http.ServerResponse): Promise<TContext>;
  /** Requests with a larger body get 413 without being buffered. */
  maxBodyBytes?: number;
  /** Where failures that happen outside Apollo's pipeline (socket errors, broken streams) go. */
  logger?: Logger;
}

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** An error answered before Apollo sees the request, shaped like a GraphQL response so clients can show it. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Adapts `server` to a Node request listener. The server must have been started
 * (`await server.start()`) before the first request.
 */
export function createGraphQLHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  options: GraphQLHandlerOptions<TContext>,
): RequestHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logger = options.logger;

  return async (req, res) => {
    try {
      const method = (req.method ?? 'GET').toUpperCase();
      const headers = toHeaderMap(req.headers);
      // Only POST carries an operation in its body; for other methods Apollo
      // ignores the body (GET) or rejects the method (405), so it is not read.
      const body =
        method === 'POST' ? await readJsonBody(req, headers.get('content-type'), maxBodyBytes) : undefined;
      const url = req.url ?? '/';
      const queryStart = url.indexOf('?');
      const response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search: queryStart === -1 ? '' : url.slice(queryStart), body },
        context: () => options.context(req, res),
      });
      await writeHTTPGraphQLResponse(res, response);
    } catch (error) {
      if (error instanceof HttpError) {
        sendGraphQLError(res, error);
        return;
      }
      // executeHTTPGraphQLRequest turns its own failures into responses, so this is
      // a transport failure (client gone mid-stream, iterator threw): nothing
      // useful can still be sent, only the connection can be cut.
      logger?.warn({ err: error, url: req.url }, 'GraphQL HTTP response failed');
      if (!res.headersSent) {
        sendJson(res, 500, {
          errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
      } else {
        res.destroy();
      }
    }
  };
}

/** Node joins repeated request headers itself except a few; Apollo wants one string per name. */
function toHeaderMap(incoming: http.IncomingHttpHeaders): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(incoming)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * Reads a POST body. Returns the parsed JSON for `application/json` and
 * `undefined` otherwise: Apollo then answers "invalid Content-Type" itself (or its
 * CSRF check does, for the simple content types browsers send cross-origin).
 */
async function readJsonBody(
  req: http.IncomingMessage,
  contentType: string | undefined,
  maxBodyBytes: number,
): Promise<unknown> {
  const raw = await readBody(req, maxBodyBytes);
  if (contentType === undefined) return undefined;
  const [essence = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (essence !== 'application/json') return undefined;
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Unsupported charset "${charset}"; send UTF-8 JSON.`);
  }
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, 'BAD_REQUEST', `Request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Buffers the body up to `limit` bytes. A declared Content-Length over the limit
 * is refused before reading anything; a chunked body is refused as soon as it
 * crosses the limit. Either way the rest is drained (read and dropped) rather
 * than left unread, because closing a socket the client is still writing to
 * makes the kernel reset it, and the client then sees ECONNRESET instead of 413.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body is larger than the limit of ${limit} bytes.`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        chunks.length = 0;
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', reject);
    // A client that disconnects mid-body may close without 'end' or 'error'; a
    // rejection after the body was read is a no-op.
    req.once('close', () => reject(new Error('request closed before its body ended')));
  });
}

/**
 * Writes Apollo's answer. A streamed (`chunked`) body goes through `pipeline`,
 * which waits for `drain` when the client reads slowly and, if the client goes
 * away, destroys the source so the iterator's `return()` runs and the server
 * stops producing results nobody will read.
 */
export async function writeHTTPGraphQLResponse(
  res: http.ServerResponse,
  response: HTTPGraphQLResponse,
): Promise<void> {
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    // Encoded once, here: given the string, Node measures it for Content-Length
    // (flattening Apollo's `JSON.stringify(…) + '\n'` first) and then encodes it
    // again inside the socket write. For W1's 85 KB answers this measured about
    // a tenth more requests/s (bench/README.md).
    const body = Buffer.from(response.body.string, 'utf8');
    res.setHeader('content-length', body.length);
    res.end(body);
    return;
  }
  // Send the head now: multipart clients render the first part as soon as it arrives.
  res.flushHeaders();
  await pipeline(Readable.from(response.body.asyncIterator, { objectMode: false }), res);
}

function sendGraphQLError(res: http.ServerResponse, error: HttpError): void {
  // A refused body may still be arriving; the client must open a new connection
  // rather than have the rest of it parsed as its next request.
  if (error.status === 413) res.setHeader('connection', 'close');
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] });
}

/** Sends a small JSON document with an exact Content-Length. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/** In-flight responses per server, so `close` knows which connections will become idle. */
const inFlight = new WeakMap<http.Server, Set<http.ServerResponse>>();
const closing = new WeakSet<http.Server>();

/**
 * Creates a keep-alive HTTP server around `listener`. A listener that rejects
 * gets a 500 (or a cut connection, if it had started answering) instead of an
 * unhandled rejection.
 */
export function createHttpServer(listener: RequestHandler, logger?: Logger): http.Server {
  const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const responses = inFlight.get(server);
    responses?.add(res);
    res.once('close', () => {
      responses?.delete(res);
      // Once closing, a connection whose last response just ended is idle: close it now.
      if (closing.has(server)) setImmediate(() => server.closeIdleConnections());
    });
    // Requests that arrive on an open keep-alive connection during shutdown are
    // still served, but told not to reuse the connection.
    if (closing.has(server)) res.setHeader('connection', 'close');
    listener(req, res).catch((error: unknown) => {
      logger?.error({ err: error, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' });
      else res.destroy();
    });
  });
  inFlight.set(server, new Set());
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Node requires headersTimeout > keepAliveTimeout, or an idle keep-alive
  // connection can be cut by the headers timer while the client sends a request.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  return server;
}

/** Starts listening; resolves with the bound address (the real port when `port` is 0). */
export function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * `listen`, but if binding fails (port taken, bad host) runs `stop` before rethrowing,
 * so whatever was started for the server (Apollo, the gateway's schema polling) does
 * not keep the process alive behind a server that never came up.
 */
export async function listenOrStop(
  server: http.Server,
  port: number,
  host: string,
  stop: () => Promise<void>,
): Promise<AddressInfo> {
  try {
    return await listen(server, port, host);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `http://host:port` for a bound address, usable by local clients (wildcard binds become localhost). */
export function urlFor(address: AddressInfo, path = ''): string {
  let host = address.address;
  if (host === '0.0.0.0' || host === '::') host = 'localhost';
  else if (address.family === 'IPv6' || host.includes(':')) host = `[${host}]`;
  return `http://${host}:${address.port}${path}`;
}

/**
 * Stops accepting connections, lets in-flight requests finish, and closes every
 * keep-alive connection as soon as it is idle. Connections still busy after
 * `graceMs` (a stuck client, a long incremental response) are cut.
 */
export async function close(
  server: http.Server,
  { graceMs = 10_000 }: { graceMs?: number } = {},
): Promise<void> {
  if (!server.listening) return;
  closing.add(server);
  const closed = new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  // server.close() already closes the connections idle right now (Node >= 19).
  // Busy ones are closed by the 'close' hook above when their response ends; a
  // server not made by createHttpServer has no hook, so sweep idle ones instead.
  const sweep = inFlight.has(server) ? undefined : setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(deadline);
    if (sweep) clearInterval(sweep);
  }
}
