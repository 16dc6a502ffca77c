/**
 * W3, latency floor: what a gateway costs when there is almost nothing to do.
 * `{ __typename }` never leaves the gateway; the one-entity query is one root
 * fetch plus one entity fetch (a user from accounts, their reviews from
 * reviews), on the W1 subgraphs.
 */
import { compareGateways, type Comparison } from '../lib/compare';
import type { BenchContext } from '../lib/context';
import { withGraph } from '../lib/graph';

export const W3_TYPENAME_QUERY = '{ __typename }';
export const W3_ENTITY_QUERY = `query W3OneEntity {
  user(id: "1") {
    id
    name
    reviews {
      id
    }
  }
}
`;

export async function runW3(ctx: BenchContext): Promise<Comparison[]> {
  return withGraph(ctx, 'w1-subgraphs', async ({ gateways }) => [
    await compareGateways(gateways, {
      name: 'W3 __typename',
      description: '{ __typename }: no subgraph fetch',
      query: W3_TYPENAME_QUERY,
      settings: ctx.settings,
      log: ctx.log,
    }),
    await compareGateways(gateways, {
      name: 'W3 one entity',
      description: 'one user (accounts) and its reviews (one entity fetch to reviews)',
      query: W3_ENTITY_QUERY,
      settings: ctx.settings,
      log: ctx.log,
    }),
  ]);
}
