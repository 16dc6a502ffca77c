/**
 * W1, entity fan-out: the public federation gateways benchmark's shape. Four
 * small subgraphs (bench/w1/) with @key, @requires, @provides and @shareable,
 * and one deep query crossing them five levels down (~90 KB per answer).
 */
import { W1_QUERY } from '../w1';
import { compareGateways, type Comparison } from '../lib/compare';
import type { BenchContext } from '../lib/context';
import { withGraph } from '../lib/graph';

export async function runW1(ctx: BenchContext): Promise<Comparison[]> {
  return withGraph(ctx, 'w1-subgraphs', async ({ gateways }) => [
    await compareGateways(gateways, {
      name: 'W1 fan-out',
      description: 'users → reviews → product → reviews → author → reviews → product, plus top products',
      query: W1_QUERY,
      settings: ctx.settings,
      log: ctx.log,
    }),
  ]);
}
