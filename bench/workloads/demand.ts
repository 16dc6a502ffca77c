/**
 * DC, demand control's price and its protection, on W1's graph and query:
 *
 * 1. W1 through two sdp gateways in the same run, one with demand control
 *    (static limits, cost estimate, a budget charged per request; the bench's
 *    settings, BENCH_DEMAND_ENV) and one with `SDP_LIMITS=0`; rounds alternate
 *    ABBA, the ratio on/off is the median of the per-round ratios. Target: the
 *    checks cost at most 5% of requests/s.
 * 2. A mixed run on the gateway with demand control: 90% of the connections
 *    send W1, 10% send hostile documents (deep cycles, alias and fragment
 *    bombs, a thousand operations, quadratic-validation bait, an unresolvable
 *    operation) as fast as they are refused, against a clean run with the same
 *    W1 connections alone. Target: W1's requests/s and p99 stay within 20%.
 */
import autocannon from 'autocannon';
import { isDeepStrictEqual } from 'node:util';
import { W1_QUERY } from '../w1';
import { answerOf, type LoadSettings } from '../lib/compare';
import type { BenchContext } from '../lib/context';
import { startSdpGateway, type GatewayUnderTest } from '../lib/gateways';
import { withGraph } from '../lib/graph';
import { runLoad, type LoadResult } from '../lib/load';
import { median } from '../lib/stats';

/** Documents refused by demand control, on W1's schema. */
export const HOSTILE_W1_QUERIES: string[] = (() => {
  const fragments = ['fragment F0 on User { id name }'];
  for (let i = 1; i < 30; i++) fragments.push(`fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`);
  return [
    `{ users { ${'reviews { author { '.repeat(40)}id${' } }'.repeat(40)} } }`,
    `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: topProducts { name }`).join(' ')} }`,
    `{ me { ...F29 } }\n${fragments.join('\n')}`,
    Array.from({ length: 1_000 }, (_, i) => `query Q${i} { me { id } }`).join(' '),
    `{ ${'topProducts(first: 1) { reviews { body } } '.repeat(700)}}`,
    'query A { me { id } } query B { me { id } }',
  ];
})();

export interface DemandSide {
  rps: number;
  p99Ms: number;
  cpuMsPerRequest: number;
}

export interface DemandResult {
  settings: LoadSettings;
  /** W1 with demand control on vs off, same run. */
  onOff: {
    on: DemandSide;
    off: DemandSide;
    rounds: { on: LoadResult; off: LoadResult }[];
    ratios: { rps: number; p99: number };
  };
  /** W1 with 10% hostile connections vs W1 alone on the same connections. */
  mixed: {
    w1Connections: number;
    hostileConnections: number;
    clean: DemandSide;
    mixed: DemandSide;
    /** Hostile requests answered per second (all refused with 4xx). */
    hostileRps: number;
    hostileStatuses: Record<string, number>;
    ratios: { rps: number; p99: number };
  };
}

const side = (results: LoadResult[]): DemandSide => ({
  rps: median(results.map((r) => r.rps)),
  p99Ms: median(results.map((r) => r.p99Ms)),
  cpuMsPerRequest: median(results.map((r) => r.cpuMsPerRequest)),
});

export async function runDemand(ctx: BenchContext): Promise<DemandResult> {
  const { settings, log } = ctx;
  return withGraph(
    ctx,
    'w1-subgraphs',
    async ({ supergraphFile }) => {
      const on = await startSdpGateway(
        supergraphFile,
        ctx.cpus.gateways,
        {},
        'sdp gateway (demand control on)',
      );
      let off: GatewayUnderTest | undefined;
      try {
        off = await startSdpGateway(
          supergraphFile,
          ctx.cpus.gateways,
          { SDP_LIMITS: '0' },
          'sdp gateway (demand control off)',
        );
        const body = JSON.stringify({ query: W1_QUERY });
        const [answerOn, answerOff] = [await answerOf(on, body), await answerOf(off, body)];
        if (!isDeepStrictEqual(answerOn.canonical, answerOff.canonical)) {
          throw new Error('DC: the gateways with and without demand control answer W1 differently');
        }
        const load = async (gateway: GatewayUnderTest, connections: number, durationS: number) => {
          const result = await runLoad({
            url: gateway.url,
            body,
            connections,
            durationS,
            verifyBody: (text) => text === answerOn.body,
            pid: gateway.pid,
          });
          gateway.child.assertAlive();
          if (result.failures > 0) {
            throw new Error(
              `DC: ${result.failures} W1 requests failed; gateway output:\n${gateway.child.tail()}`,
            );
          }
          return result;
        };

        if (settings.warmupS > 0) {
          for (const gateway of [on, off]) await load(gateway, settings.connections, settings.warmupS);
        }
        const rounds: { on: LoadResult; off: LoadResult }[] = [];
        for (let i = 0; i < settings.rounds; i++) {
          const round = {} as { on: LoadResult; off: LoadResult };
          for (const which of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
            round[which] = await load(which === 'on' ? on : off, settings.connections, settings.durationS);
          }
          rounds.push(round);
          log(
            `DC on/off: round ${i + 1}/${settings.rounds}  on ${round.on.rps.toFixed(0)} req/s p99 ${round.on.p99Ms} ms` +
              `  off ${round.off.rps.toFixed(0)} req/s p99 ${round.off.p99Ms} ms`,
          );
        }
        await off.child.stop();
        off = undefined;

        // The mixed run: the same W1 connections alone, then with hostile ones beside them.
        const hostileConnections = Math.max(1, Math.round(settings.connections / 10));
        const w1Connections = settings.connections - hostileConnections;
        const clean: LoadResult[] = [];
        const mixed: LoadResult[] = [];
        let hostileRequests = 0;
        let hostileSeconds = 0;
        const hostileStatuses: Record<string, number> = {};
        for (let i = 0; i < settings.rounds; i++) {
          for (const withHostile of i % 2 === 0 ? [false, true] : [true, false]) {
            if (!withHostile) {
              clean.push(await load(on, w1Connections, settings.durationS));
              continue;
            }
            const [w1, hostile] = await Promise.all([
              load(on, w1Connections, settings.durationS),
              autocannon({
                url: on.url,
                connections: hostileConnections,
                duration: settings.durationS,
                timeout: 30,
                requests: HOSTILE_W1_QUERIES.map((query) => ({
                  method: 'POST' as const,
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ query }),
                })),
              }),
            ]);
            mixed.push(w1);
            hostileRequests += hostile.requests.total;
            hostileSeconds += hostile.duration;
            for (const [status, count] of Object.entries(hostile.statusCodeStats ?? {})) {
              hostileStatuses[status] = (hostileStatuses[status] ?? 0) + count.count;
            }
          }
          log(
            `DC mixed: round ${i + 1}/${settings.rounds}  clean ${clean.at(-1)!.rps.toFixed(0)} req/s p99 ${clean.at(-1)!.p99Ms} ms` +
              `  with hostile ${mixed.at(-1)!.rps.toFixed(0)} req/s p99 ${mixed.at(-1)!.p99Ms} ms`,
          );
        }
        const ratio = (a: LoadResult[], b: LoadResult[], f: (r: LoadResult) => number) =>
          median(a.map((r, i) => f(r) / f(b[i]!)));
        return {
          settings,
          onOff: {
            on: side(rounds.map((r) => r.on)),
            off: side(rounds.map((r) => r.off)),
            rounds,
            ratios: {
              rps: median(rounds.map((r) => r.on.rps / r.off.rps)),
              p99: median(rounds.map((r) => r.on.p99Ms / r.off.p99Ms)),
            },
          },
          mixed: {
            w1Connections,
            hostileConnections,
            clean: side(clean),
            mixed: side(mixed),
            hostileRps: hostileSeconds > 0 ? hostileRequests / hostileSeconds : 0,
            hostileStatuses,
            ratios: { rps: ratio(mixed, clean, (r) => r.rps), p99: ratio(mixed, clean, (r) => r.p99Ms) },
          },
        };
      } finally {
        await off?.child.stop();
        await on.child.stop();
      }
    },
    { gateways: [] },
  );
}

export function demandTable(r: DemandResult): string {
  const f = (n: number, digits = 0) => n.toFixed(digits);
  const row = (name: string, s: DemandSide) =>
    `  ${name.padEnd(34)} ${f(s.rps).padStart(8)} req/s   p99 ${f(s.p99Ms).padStart(5)} ms   ${f(s.cpuMsPerRequest, 2)} ms CPU/req`;
  return [
    'DC demand control on W1',
    row('W1, demand control on', r.onOff.on),
    row('W1, demand control off', r.onOff.off),
    `  on/off: req/s ${f(r.onOff.ratios.rps, 3)}, p99 ${f(r.onOff.ratios.p99, 3)}  (target: req/s ≥ 0.95)`,
    row(`W1 alone (${r.mixed.w1Connections} connections)`, r.mixed.clean),
    row(`W1 + ${r.mixed.hostileConnections} hostile connections`, r.mixed.mixed),
    `  hostile: ${f(r.mixed.hostileRps)} req/s refused, statuses ${JSON.stringify(r.mixed.hostileStatuses)}`,
    `  mixed/clean: req/s ${f(r.mixed.ratios.rps, 3)}, p99 ${f(r.mixed.ratios.p99, 3)}  (target: both within 20%)`,
  ].join('\n');
}
