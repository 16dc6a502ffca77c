/**
 * Runs a gateway workload on a graph: starts the host process that serves the
 * graph's subgraphs (and writes its supergraph), then both gateways on that
 * supergraph, hands them to `body`, and stops everything, whatever happens.
 */
import path from 'node:path';
import { HOST_READY } from '../hosts/host';
import { startChild, stopAll, type Child } from './children';
import type { BenchContext } from './context';
import {
  compiledBenchDir,
  startSdpGateway,
  startStockGateway,
  type GatewayLabel,
  type GatewayUnderTest,
} from './gateways';

export interface Graph {
  supergraphFile: string;
  gateways: Record<GatewayLabel, GatewayUnderTest>;
}

/** `host` is a script under bench/hosts/ (without extension). */
export async function withGraph<T>(
  ctx: BenchContext,
  host: string,
  body: (graph: Graph) => Promise<T>,
  options: { gateways?: GatewayLabel[] } = {},
): Promise<T> {
  const children: (Child | undefined)[] = [];
  try {
    const supergraphFile = path.join(ctx.workDir, `${host}.graphql`);
    const hostChild = await startChild({
      name: `${host} host`,
      command: process.execPath,
      args: [path.join(compiledBenchDir(), 'hosts', `${host}.js`), supergraphFile],
      cpus: ctx.cpus.others,
      ready: HOST_READY,
      readyTimeoutMs: 120_000,
    });
    children.push(hostChild);
    const wanted = options.gateways ?? ['sdp', 'stock'];
    const gateways = {} as Record<GatewayLabel, GatewayUnderTest>;
    for (const label of wanted) {
      const gateway =
        label === 'sdp'
          ? await startSdpGateway(supergraphFile, ctx.cpus.gateways)
          : await startStockGateway(supergraphFile, ctx.cpus.gateways, ctx.stockNodeFlags);
      children.push(gateway.child);
      gateways[label] = gateway;
    }
    return await body({ supergraphFile, gateways });
  } finally {
    await stopAll(children);
  }
}
