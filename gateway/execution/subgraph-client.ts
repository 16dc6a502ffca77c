/**
 * HTTP to subgraphs over undici keep-alive pools: one pool per subgraph origin,
 * requests dispatched straight onto it with a handler that collects the body
 * bytes, so no fetch `Request`/`Response`/`Headers` objects or body streams are
 * built per call (the stock data source's make-fetch-happen stack showed up as
 * about a quarter of the stock gateway's CPU profile).
 *
 * Like undici's fetch, which the gateway used before, the pools honour a
 * subgraph's `Keep-Alive: timeout=` hint and drop an idle connection before the
 * subgraph closes it, so a call never lands on a closing socket.
 *
 * Failures are reported the way the stock gateway's default fetcher
 * (make-fetch-happen → minipass-fetch) reports them, because clients see these
 * messages in `errors`: a refused connection is
 * `request to <url> failed, reason: connect ECONNREFUSED …`, an unparseable JSON
 * body `invalid json response body at <url> reason: …`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { ASSERTION_HEADER } from '../../platform/assertion';
import { DEADLINE_HEADER } from '../../platform/deadline';

export interface SubgraphResponse {
  url: string;
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The error class name and fields minipass-fetch gives its errors, so logs and formatting match stock. */
export class FetchError extends Error {
  override name = 'FetchError';
  code?: string;
  errno?: string;
  type: string;
  constructor(message: string, type: string, cause?: NodeJS.ErrnoException) {
    super(message);
    this.type = type;
    if (cause?.code !== undefined) {
      this.code = cause.code;
      this.errno = cause.code;
    }
  }
}

/** Request headers the stock data source sends that matter to a GraphQL server. */
const REQUEST_HEADERS = { 'content-type': 'application/json', accept: '*/*' };

/** Raw `[name, value, name, value, …]` header buffers to a lower-cased object; repeated names are joined. */
function headersFrom(raw: Buffer[] | string[] | null): IncomingHttpHeaders {
  const headers: Record<string, string> = {};
  if (raw === null) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as Buffer | string).toString().toLowerCase();
    const value = (raw[i + 1] as Buffer | string).toString();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return headers;
}

/** What bounds one subgraph call, from the request it serves (gateway/demand-control/). */
export interface CallLimits {
  /** Aborts the call (and refuses to start it) when the request's deadline passes or its client leaves. */
  signal?: AbortSignal;
  /** Milliseconds left before the request's deadline, sent to the subgraph as a header. */
  remainingMs?: number;
  /**
   * Counts the body's bytes as they arrive; returning false aborts the call
   * with `ResponseTooLarge` (the request's answer is already too big to send).
   */
  onBytes?: (bytes: number) => boolean;
}

/** The subgraph data of one request grew past SDP_MAX_RESPONSE_BYTES. */
export class ResponseTooLarge extends Error {
  override name = 'ResponseTooLarge';
  constructor() {
    super('The answer grew past the response size limit.');
  }
}

export class SubgraphClient {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(readonly url: string) {
    const parsed = new URL(url);
    this.path = `${parsed.pathname}${parsed.search}`;
    this.pool = new Pool(parsed.origin, {
      // Unbounded like the stock agent (maxSockets: Infinity): a bound here
      // would queue subgraph calls behind each other under load.
      connections: null,
      pipelining: 1,
    });
  }

  /**
   * POSTs a JSON body, with the request's signed principal assertion when there
   * is one; resolves with the whole response, rejects on transport failure or
   * when `limits` end the call (with the signal's reason, or `ResponseTooLarge`).
   */
  post(body: string, assertion?: string, limits?: CallLimits): Promise<SubgraphResponse> {
    return new Promise((resolve, reject) => {
      const signal = limits?.signal;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let abortCall: ((reason: Error) => void) | undefined;
      let ended: Error | undefined;
      const onAbort = () => {
        ended = signal?.reason as Error;
        abortCall?.(ended);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => signal?.removeEventListener('abort', onAbort);
      const chunks: Buffer[] = [];
      let status = 0;
      let statusText = '';
      let headers: IncomingHttpHeaders = {};
      // undici's core handler interface (the one a Pool dispatches to directly).
      const handler: Dispatcher.DispatchHandler = {
        onConnect: (abort) => {
          abortCall = abort;
          if (ended) abort(ended);
        },
        onHeaders: (statusCode, rawHeaders, _resume, statusMessage) => {
          status = statusCode;
          statusText = statusMessage;
          headers = headersFrom(rawHeaders);
          return true;
        },
        onData: (chunk) => {
          if (limits?.onBytes && !limits.onBytes(chunk.length)) {
            ended = new ResponseTooLarge();
            abortCall?.(ended);
            return false;
          }
          chunks.push(chunk);
          return true;
        },
        onComplete: () => {
          settle();
          const text =
            chunks.length === 1
              ? (chunks[0] as Buffer).toString('utf8')
              : Buffer.concat(chunks).toString('utf8');
          resolve({ url: this.url, status, statusText, headers, body: text });
        },
        onError: (error) => {
          settle();
          if (ended) {
            reject(ended);
            return;
          }
          reject(
            new FetchError(
              `request to ${this.url} failed, reason: ${error.message}`,
              'system',
              error as NodeJS.ErrnoException,
            ),
          );
        },
      };
      const requestHeaders: Record<string, string> = { ...REQUEST_HEADERS };
      if (assertion !== undefined) requestHeaders[ASSERTION_HEADER] = assertion;
      if (limits?.remainingMs !== undefined) requestHeaders[DEADLINE_HEADER] = String(limits.remainingMs);
      this.pool.dispatch({ path: this.path, method: 'POST', headers: requestHeaders, body }, handler);
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * A fetch-compatible function over the pools, for the stock data source
 * (`RemoteGraphQLDataSource`) that still runs the operations the fast path
 * hands back to stock execution: both paths then share connections and report
 * failures in the same words.
 */
export function pooledFetcher(clientFor: (url: string) => SubgraphClient) {
  return async (url: string, init?: { body?: unknown; headers?: Record<string, string> }) => {
    const response = await clientFor(url).post(String(init?.body ?? ''), init?.headers?.[ASSERTION_HEADER]);
    return new PooledResponse(response);
  };
}

/** The parts of a fetch `Response` the stock data source reads. */
class PooledResponse {
  readonly redirected = false;
  bodyUsed = false;
  readonly headers: Headers;
  constructor(private readonly response: SubgraphResponse) {
    this.headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) this.headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
  }
  get url() {
    return this.response.url;
  }
  get status() {
    return this.response.status;
  }
  get ok() {
    return this.response.status >= 200 && this.response.status <= 299;
  }
  get statusText() {
    return this.response.statusText;
  }
  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.response.body;
  }
  async json(): Promise<unknown> {
    this.bodyUsed = true;
    try {
      return JSON.parse(this.response.body);
    } catch (error) {
      throw new FetchError(
        `invalid json response body at ${this.response.url} reason: ${(error as Error).message}`,
        'invalid-json',
      );
    }
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    const bytes = Buffer.from(this.response.body, 'utf8');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  clone(): PooledResponse {
    return new PooledResponse(this.response);
  }
}
