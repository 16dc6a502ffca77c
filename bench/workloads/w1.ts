/**
 * W1, entity fan-out: the public federation gateways benchmark's shape. Four
 * small subgraphs (bench/w1/) with @key, @requires, @provides and @shareable,
 * and one deep query crossing them five levels down (~90 KB per answer).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { W1_QUERY } from '../w1';
import { compareGateways, type Comparison } from '../lib/compare';
import type { BenchContext } from '../lib/context';
import { startSdpGateway } from '../lib/gateways';
import { withGraph } from '../lib/graph';
import { withRequiredScope } from '../lib/supergraph';

export const W1_NAME = 'W1 fan-out';
export const W1_POLICY_NAME = 'W1 policy on/off';

export async function runW1(ctx: BenchContext): Promise<Comparison[]> {
  return withGraph(ctx, 'w1-subgraphs', async ({ gateways }) => [
    await compareGateways(gateways, {
      name: W1_NAME,
      description: 'users → reviews → product → reviews → author → reviews → product, plus top products',
      query: W1_QUERY,
      settings: ctx.settings,
      log: ctx.log,
    }),
  ]);
}

/**
 * W1P: W1 with the access policy on against off, two sdp gateways in the same
 * run on the same subgraphs, rounds alternating as in every comparison. Policy
 * on: `User.name` (selected ~50 times per answer) requires the scope
 * `pii:read`; every request carries an API key holding it, so each one is
 * authenticated, authorized (the operation analysed, its protected values
 * counted) and audited (one `sdp.audit.v1` event, synced to the data
 * directory, before the answer goes). Policy off: the same gateway on the
 * unmarked supergraph, anonymous callers. Both sign their subgraph calls.
 */
export async function runW1Policy(ctx: BenchContext): Promise<Comparison[]> {
  return withGraph(
    ctx,
    'w1-subgraphs',
    async ({ gateways, supergraphFile, access }) => {
      const protectedFile = path.join(ctx.workDir, 'w1-policy.graphql');
      writeFileSync(
        protectedFile,
        withRequiredScope(readFileSync(supergraphFile, 'utf8'), 'User.name', 'pii:read'),
      );
      const policyOn = await startSdpGateway(protectedFile, ctx.cpus.gateways, access.sdpEnv);
      try {
        return [
          await compareGateways(
            { sdp: policyOn, stock: gateways.sdp },
            {
              name: W1_POLICY_NAME,
              description:
                'W1 on sdp: User.name requiring pii:read, an API key, authorization and audit, vs none',
              query: W1_QUERY,
              headers: { sdp: access.headers },
              labels: { sdp: 'policy on', stock: 'policy off' },
              settings: ctx.settings,
              log: ctx.log,
            },
          ),
        ];
      } finally {
        await policyOn.child.stop();
      }
    },
    { gateways: ['sdp'] },
  );
}
