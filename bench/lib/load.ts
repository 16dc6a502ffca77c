/**
 * Closed-loop HTTP load with autocannon: a fixed number of connections, each
 * sending the next request as soon as the previous answer arrived, for a fixed
 * time. Every response body is checked against the one expected, so a gateway
 * that starts failing under load is caught rather than measured as fast.
 */
import autocannon from 'autocannon';
import { cpuMs } from './proc';

export interface LoadOptions {
  url: string;
  /** The POST body, e.g. `{"query":"{ __typename }"}`. */
  body: string;
  connections: number;
  durationS: number;
  /** Extra request headers, e.g. `authorization`. */
  headers?: Record<string, string>;
  /** Each 200 response's body must satisfy this, else it counts as a mismatch. */
  verifyBody(body: string): boolean;
  /** Process whose CPU time is charged to the requests (the gateway). */
  pid: number;
}

export interface LoadResult {
  /** Correct (2xx, body verified) responses per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of `pid` per correct response. */
  cpuMsPerRequest: number;
  /**
   * CPU time of `pid` over wall time, in cores (1 = one core busy all along). Near
   * 1 with one core per gateway, the gateway was the bottleneck; well below, the
   * limit was elsewhere (subgraphs, load generator, other work on the machine).
   */
  cpuCores: number;
  requests: number;
  /** Connection errors, timeouts, non-2xx answers and body mismatches together. */
  failures: number;
  durationS: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = cpuMs(options.pid);
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
    body: options.body,
    connections: options.connections,
    duration: options.durationS,
    timeout: 30,
    verifyBody: options.verifyBody,
  });
  const cpu = cpuMs(options.pid) - cpuBefore;
  const ok = Math.max(0, result['2xx'] - result.mismatches);
  return {
    rps: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuMsPerRequest: ok > 0 ? cpu / ok : NaN,
    cpuCores: cpu / (result.duration * 1000),
    requests: ok,
    failures: result.errors + result.non2xx + result.mismatches,
    durationS: result.duration,
  };
}
