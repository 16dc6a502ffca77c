/**
 * A GraphQL request's deadline and cancellation as one AbortSignal, aborted
 * when its time is up or when the client goes away before its answer was sent.
 *
 * The gateway makes one per request (`SDP_REQUEST_TIMEOUT_MS`): its execution
 * engine stops starting subgraph fetches and aborts the ones in flight, and
 * sends each subgraph the time left in `sdp-deadline-ms`. A subgraph makes its
 * own from that header (or, without it, only from its client leaving) and hands
 * it to the product's request context, whose loaders stop reading the store
 * once it is aborted.
 */
import type http from 'node:http';

/** Why a request's signal was aborted; `signal.reason` is one of these. */
export class RequestDeadlineExceeded extends Error {
  override name = 'RequestDeadlineExceeded';
  constructor(readonly timeoutMs: number) {
    super(`The request did not finish within ${timeoutMs} ms.`);
  }
}

export class ClientDisconnected extends Error {
  override name = 'ClientDisconnected';
  constructor() {
    super('The client disconnected before the answer was sent.');
  }
}

/** Header carrying the remaining milliseconds of the request's deadline to a subgraph. */
export const DEADLINE_HEADER = 'sdp-deadline-ms';

/** The longest deadline a subgraph accepts from the header (an hour), whatever the gateway sends. */
const MAX_SUBGRAPH_DEADLINE_MS = 3_600_000;

export interface RequestDeadline {
  signal: AbortSignal;
  /** `performance.now()` at which the deadline passes. */
  deadlineAt: number;
}

/**
 * A signal for one response. The timer and listeners are released when the
 * response finishes (or the connection closes), whichever is first.
 */
export function requestDeadline(res: http.ServerResponse, timeoutMs: number | undefined): RequestDeadline {
  const deadlineAt = performance.now() + (timeoutMs ?? Infinity);
  const controller = new AbortController();
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(new RequestDeadlineExceeded(timeoutMs)), timeoutMs);
  // An idle timer must not keep a stopping process alive.
  timer?.unref();
  const done = () => {
    clearTimeout(timer);
    res.off('close', onClose);
    res.off('finish', done);
  };
  // 'close' without a finished response: the client left (or the socket broke).
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new ClientDisconnected());
    done();
  };
  res.on('close', onClose);
  res.on('finish', done);
  return { signal: controller.signal, deadlineAt };
}

/** A subgraph request's deadline: the gateway's `sdp-deadline-ms` when present and valid, and its client leaving. */
export function subgraphRequestDeadline(
  req: http.IncomingMessage,
  res: http.ServerResponse,
): RequestDeadline {
  const raw = req.headers[DEADLINE_HEADER];
  const ms = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : undefined;
  return requestDeadline(res, ms === undefined ? undefined : Math.min(ms, MAX_SUBGRAPH_DEADLINE_MS));
}
