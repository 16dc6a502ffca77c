/**
 * Memory soak: the sdp gateway alone under the W1 load for a long run (e.g. 5
 * minutes), its resident memory sampled after every 10-second slice. A gateway
 * that leaks per request grows steadily here; a healthy one levels off after
 * warm-up. Reports RSS at the start (after at least 20 s of warm-up), the
 * middle and the end.
 */
import { W1_QUERY } from '../w1';
import { answerOf } from '../lib/compare';
import type { BenchContext } from '../lib/context';
import { withGraph } from '../lib/graph';
import { runLoad } from '../lib/load';
import { memory } from '../lib/proc';

export interface SoakResult {
  name: 'soak';
  seconds: number;
  connections: number;
  /** Resident memory after warm-up, MiB. */
  rssStartMiB: number;
  /** After the slice that ends half-way through. */
  rssMidMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  /** Requests per second of each slice, to see throughput hold. */
  sliceRps: number[];
  sliceRssMiB: number[];
}

const SLICE_S = 10;
const SOAK_WARMUP_S = 20;

export async function runSoak(ctx: BenchContext, seconds: number): Promise<SoakResult> {
  return withGraph(
    ctx,
    'w1-subgraphs',
    async ({ gateways }) => {
      const sdp = gateways.sdp;
      const body = JSON.stringify({ query: W1_QUERY });
      // Only the sdp gateway runs; every answer under load must equal its first one.
      const answer = (await answerOf(sdp, body)).body;
      const slice = (durationS: number) =>
        runLoad({
          url: sdp.url,
          body,
          connections: ctx.settings.connections,
          durationS,
          verifyBody: (b) => b === answer,
          pid: sdp.pid,
        }).then((r) => {
          sdp.child.assertAlive();
          if (r.failures > 0) throw new Error(`soak: ${r.failures} failed requests`);
          return r;
        });
      // Long enough for the heap to reach its working size, so "start" is not the cold process.
      await slice(Math.max(ctx.settings.warmupS, SOAK_WARMUP_S));
      const rssStartMiB = memory(sdp.pid).rssMiB;
      const sliceRps: number[] = [];
      const sliceRssMiB: number[] = [];
      for (let done = 0; done < seconds; done += SLICE_S) {
        const r = await slice(Math.min(SLICE_S, seconds - done));
        sliceRps.push(r.rps);
        sliceRssMiB.push(memory(sdp.pid).rssMiB);
        ctx.log(
          `soak: ${done + SLICE_S}/${seconds} s  ${r.rps.toFixed(0)} req/s  rss ${sliceRssMiB.at(-1)!.toFixed(0)} MiB`,
        );
      }
      return {
        name: 'soak' as const,
        seconds,
        connections: ctx.settings.connections,
        rssStartMiB,
        rssMidMiB: sliceRssMiB[Math.floor((sliceRssMiB.length - 1) / 2)] ?? rssStartMiB,
        rssEndMiB: sliceRssMiB.at(-1) ?? rssStartMiB,
        rssMaxMiB: Math.max(rssStartMiB, ...sliceRssMiB),
        sliceRps,
        sliceRssMiB,
      };
    },
    { gateways: ['sdp'] },
  );
}
