/**
 * Runs a gateway workload on a graph: starts the host process that serves the
 * graph's subgraphs (and writes its supergraph), then both gateways on that
 * supergraph, hands them to `body`, and stops everything, whatever happens.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateKey, hashKey, openKeyStore } from '../../gateway/authentication/key-store';
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
  /** What the sdp gateway needs to be called with every scope (and the subgraph secret it signs with). */
  access: GraphAccess;
}

export interface GraphAccess {
  /** Shared by the subgraph host and both gateways (the stock one signs its subgraph calls too). */
  secret: string;
  /** The sdp gateway's environment: its data directory (holding the key) and the secret. */
  sdpEnv: Record<string, string>;
  /** Request headers of a caller allowed to read every protected field. */
  headers: Record<string, string>;
}

/** A data directory with one API key holding every scope the products' schema names. */
async function prepareAccess(workDir: string, host: string): Promise<GraphAccess> {
  const secret = randomBytes(32).toString('hex');
  const dataDir = path.join(workDir, `${host}-sdp-data`);
  const store = await openKeyStore({ dataDir });
  const { id, key } = generateKey();
  try {
    await store.insert({
      id,
      name: 'bench',
      scopes: ['pii:read', 'oversight:read'],
      hash: hashKey(key),
      createdAt: new Date().toISOString(),
      expiresAt: null,
      revokedAt: null,
    });
  } finally {
    await store.close();
  }
  return {
    secret,
    sdpEnv: { SDP_DATA_DIR: dataDir, SDP_SUBGRAPH_SECRET: secret },
    headers: { authorization: `Bearer ${key}`, 'sdp-purpose': 'research' },
  };
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
    const access = await prepareAccess(ctx.workDir, host);
    const hostChild = await startChild({
      name: `${host} host`,
      command: process.execPath,
      args: [path.join(compiledBenchDir(), 'hosts', `${host}.js`), supergraphFile],
      env: { ...process.env, SDP_SUBGRAPH_SECRET: access.secret },
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
          ? await startSdpGateway(supergraphFile, ctx.cpus.gateways, access.sdpEnv)
          : await startStockGateway(supergraphFile, ctx.cpus.gateways, ctx.stockNodeFlags, {
              SDP_SUBGRAPH_SECRET: access.secret,
            });
      children.push(gateway.child);
      gateways[label] = gateway;
    }
    return await body({ supergraphFile, gateways, access });
  } finally {
    await stopAll(children);
  }
}
