/**
 * One gateway workload: the sdp gateway against the stock one on the same query
 * and subgraphs.
 *
 *  1. Both answer the query once; their `data` and `errors` must be identical
 *     (a gateway that is fast because it answers differently is not faster), and
 *     each one's answer becomes the body its every response under load is checked
 *     against.
 *  2. Warm-up: each gateway gets `warmupS` of the load (JIT, caches, pools).
 *  3. `rounds` measured rounds, alternating which gateway goes first (ABBA…), so
 *     a slow drift of the machine (other work, thermal) hits both alike.
 *  4. Per round the sdp/stock ratios; the result is their median.
 * Any failed request in any phase fails the workload.
 */
import { isDeepStrictEqual } from 'node:util';
import type { GatewayUnderTest, GatewayLabel } from './gateways';
import { runLoad, type LoadResult } from './load';
import { memory } from './proc';
import { median } from './stats';

export interface LoadSettings {
  connections: number;
  rounds: number;
  durationS: number;
  warmupS: number;
}

export interface GatewaySummary {
  /** Medians over the rounds. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  /** CPU time over wall time, in cores. */
  cpuCores: number;
  /** Peak resident memory over the gateway's whole life (start, check, warm-up, rounds). */
  peakRssMiB: number;
}

export interface Comparison {
  name: string;
  description: string;
  query: string;
  /** Size of one response body, bytes (the sdp gateway's). */
  responseBytes: number;
  settings: LoadSettings;
  rounds: Record<GatewayLabel, LoadResult>[];
  sdp: GatewaySummary;
  stock: GatewaySummary;
  /** sdp / stock, median of the per-round ratios. */
  ratios: { rps: number; p50: number; p99: number; cpuMsPerRequest: number };
  /** Column names when the two sides are not the sdp and stock gateways (e.g. policy on and off). */
  labels?: Record<GatewayLabel, string>;
}

export interface Answer {
  status: number;
  body: string;
  canonical: { data: unknown; errors: unknown };
}

/**
 * `errors` without `extensions.stacktrace`: Apollo Server adds stack traces when
 * NODE_ENV is unset, a default the stock gateway keeps and the sdp gateway does
 * not; it is a server setting, not a different answer.
 */
function canonical(json: { data?: unknown; errors?: unknown }): Answer['canonical'] {
  const errors = Array.isArray(json.errors)
    ? json.errors.map((e: { extensions?: Record<string, unknown> }) => {
        if (!e.extensions || !('stacktrace' in e.extensions)) return e;
        const { stacktrace: _dropped, ...extensions } = e.extensions;
        return { ...e, extensions };
      })
    : json.errors;
  return { data: json.data ?? null, errors: errors ?? null };
}

async function ask(
  gateway: GatewayUnderTest,
  body: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  let json: { data?: unknown; errors?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new Error(
      `${gateway.label} gateway answered HTTP ${response.status} with non-JSON: ${text.slice(0, 300)}`,
    );
  }
  return { status: response.status, body: text, canonical: canonical(json) };
}

/** One gateway's answer, which must be HTTP 200 with `data`. */
export async function answerOf(
  gateway: GatewayUnderTest,
  body: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const answer = await ask(gateway, body, headers);
  if (answer.status !== 200 || answer.canonical.data === null) {
    throw new Error(`${gateway.label} gateway answered HTTP ${answer.status}: ${answer.body.slice(0, 500)}`);
  }
  return answer;
}

/** The first place two JSON values differ, for a readable mismatch message. */
function firstDifference(a: unknown, b: unknown, path = '$'): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return `${path}: ${JSON.stringify(a)?.slice(0, 200)} vs ${JSON.stringify(b)?.slice(0, 200)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const d = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (d) return d;
  }
  return `${path}: same members in a different order`;
}

/**
 * Checks both gateways give the same answer; returns each one's answer. Throws
 * on a difference, an HTTP error, or an empty answer (`data` null).
 */
export async function checkSameAnswer(
  gateways: Record<GatewayLabel, GatewayUnderTest>,
  body: string,
  headers: Partial<Record<GatewayLabel, Record<string, string>>> = {},
): Promise<Record<GatewayLabel, Answer>> {
  const sdp = await answerOf(gateways.sdp, body, headers.sdp);
  const stock = await answerOf(gateways.stock, body, headers.stock);
  // Member order matters too: GraphQL responses follow the query's field order.
  const difference = firstDifference(sdp.canonical, stock.canonical);
  if (difference || JSON.stringify(sdp.canonical) !== JSON.stringify(stock.canonical)) {
    throw new Error(`the gateways answer differently (sdp vs stock) at ${difference || 'member order'}`);
  }
  return { sdp, stock };
}

/** Accepts exactly the checked answer: byte-equal (fast path), else equal `data` and `errors`. */
function verifier(expected: Answer): (body: string) => boolean {
  const expectedJson = JSON.stringify(expected.canonical);
  return (body) => {
    if (body === expected.body) return true;
    try {
      return JSON.stringify(canonical(JSON.parse(body) as object)) === expectedJson;
    } catch {
      return false;
    }
  };
}

export interface CompareOptions {
  name: string;
  description: string;
  query: string;
  variables?: Record<string, unknown>;
  settings: LoadSettings;
  /** Request headers per side, e.g. the sdp gateway's API key. */
  headers?: Partial<Record<GatewayLabel, Record<string, string>>>;
  /** Names of the two sides, when they are not the sdp and stock gateways. */
  labels?: Record<GatewayLabel, string>;
  /** Progress lines. */
  log(line: string): void;
}

export async function compareGateways(
  gateways: Record<GatewayLabel, GatewayUnderTest>,
  options: CompareOptions,
): Promise<Comparison> {
  const { settings, log } = options;
  const body = JSON.stringify({
    query: options.query,
    ...(options.variables ? { variables: options.variables } : {}),
  });
  const answers = await checkSameAnswer(gateways, body, options.headers);
  log(`${options.name}: both gateways give the same answer (${answers.sdp.body.length} bytes)`);

  const load = async (label: GatewayLabel, durationS: number, warmUp = false): Promise<LoadResult> => {
    const gateway = gateways[label];
    const result = await runLoad({
      url: gateway.url,
      body,
      connections: settings.connections,
      durationS,
      headers: options.headers?.[label],
      verifyBody: verifier(answers[label]),
      pid: gateway.pid,
    });
    gateway.child.assertAlive();
    if (result.failures > 0) {
      throw new Error(
        `${options.name}: the ${label} gateway failed ${result.failures} requests under load ` +
          `(${result.requests} correct); its output:\n${gateway.child.tail()}`,
      );
    }
    // Answers still in flight when a round ends are not counted, so a round
    // shorter than a few response times measures nothing.
    if (!warmUp && result.requests < settings.connections) {
      throw new Error(
        `${options.name}: the ${label} gateway completed only ${result.requests} requests in ${durationS} s ` +
          `at ${settings.connections} connections; use a longer --duration`,
      );
    }
    return result;
  };

  if (settings.warmupS > 0) {
    for (const label of ['sdp', 'stock'] as const) {
      const warm = await load(label, settings.warmupS, true);
      log(`${options.name}: ${label} warm-up ${warm.rps.toFixed(0)} req/s`);
    }
  }
  const rounds: Record<GatewayLabel, LoadResult>[] = [];
  for (let i = 0; i < settings.rounds; i++) {
    const order: GatewayLabel[] = i % 2 === 0 ? ['sdp', 'stock'] : ['stock', 'sdp'];
    const round = {} as Record<GatewayLabel, LoadResult>;
    for (const label of order) round[label] = await load(label, settings.durationS);
    rounds.push(round);
    log(
      `${options.name}: round ${i + 1}/${settings.rounds}  sdp ${round.sdp.rps.toFixed(0)} req/s p99 ${round.sdp.p99Ms} ms` +
        `  stock ${round.stock.rps.toFixed(0)} req/s p99 ${round.stock.p99Ms} ms`,
    );
  }

  const summary = (label: GatewayLabel): GatewaySummary => ({
    rps: median(rounds.map((r) => r[label].rps)),
    p50Ms: median(rounds.map((r) => r[label].p50Ms)),
    p99Ms: median(rounds.map((r) => r[label].p99Ms)),
    cpuMsPerRequest: median(rounds.map((r) => r[label].cpuMsPerRequest)),
    cpuCores: median(rounds.map((r) => r[label].cpuCores)),
    peakRssMiB: memory(gateways[label].pid).peakRssMiB,
  });
  const ratio = (f: (r: LoadResult) => number) => median(rounds.map((r) => f(r.sdp) / f(r.stock)));
  return {
    ...(options.labels ? { labels: options.labels } : {}),
    name: options.name,
    description: options.description,
    query: options.query,
    responseBytes: Buffer.byteLength(answers.sdp.body),
    settings,
    rounds,
    sdp: summary('sdp'),
    stock: summary('stock'),
    ratios: {
      rps: ratio((r) => r.rps),
      p50: ratio((r) => r.p50Ms),
      p99: ratio((r) => r.p99Ms),
      cpuMsPerRequest: ratio((r) => r.cpuMsPerRequest),
    },
  };
}
