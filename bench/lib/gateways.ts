/**
 * The two gateways a workload compares, each in its own process on the same
 * supergraph file: the sdp gateway exactly as users run it (`bin/sdp.js gateway`
 * executed directly, i.e. `npx sdp gateway`, so with the Node flags of its
 * launcher line) and the stock Apollo Server + Apollo Gateway
 * (bench/stock-gateway.ts, Node's defaults unless `--stock-node-flags`). Both
 * run with the same environment (no NODE_ENV, default log level) and the same
 * node binary.
 */
import path from 'node:path';
import { repoPath } from '../../platform/paths';
import { startChild, type Child } from './children';

export type GatewayLabel = 'sdp' | 'stock';

export interface GatewayUnderTest {
  label: GatewayLabel;
  /** Where to POST GraphQL. */
  url: string;
  pid: number;
  child: Child;
}

/** The compiled bench/ directory (the benchmark runs from dist/, see bench/README.md). */
export function compiledBenchDir(): string {
  if (!__filename.endsWith('.js')) {
    throw new Error('the benchmark runs compiled: use `npm run bench`, which builds first');
  }
  return path.join(__dirname, '..');
}

/**
 * Demand control as the benchmark runs it: every check on every request
 * (static limits, cost estimate, a budget taken from a token bucket), with the
 * anonymous tier's cost limit and budget raised so W1's fan-out (estimated
 * cost 24,420 per request by the default list size of 10, thousands of requests
 * per second, all from one address) is measured rather than refused; the same
 * for the keyed tier, which W1P's API key puts its requests in.
 */
export const BENCH_DEMAND_ENV = {
  SDP_LIMITS_ANONYMOUS: 'cost=1000000,costPerSecond=1000000000,burst=1000000000',
  SDP_LIMITS_KEYED: 'cost=1000000,costPerSecond=1000000000,burst=1000000000',
};

function gatewayEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...BENCH_DEMAND_ENV };
  // Apollo's defaults depend on NODE_ENV (stack traces, landing page); neither gateway gets one.
  delete env.NODE_ENV;
  delete env.SDP_PORT;
  delete env.SDP_LOG_LEVEL;
  delete env.NODE_OPTIONS;
  // bin/sdp.js starts through `env node`: make that this node.
  env.PATH = [path.dirname(process.execPath), env.PATH].filter(Boolean).join(path.delimiter);
  return env;
}

export async function startSdpGateway(
  supergraphFile: string,
  cpus: string | undefined,
  extraEnv: NodeJS.ProcessEnv = {},
  name = 'sdp gateway',
): Promise<GatewayUnderTest> {
  const child = await startChild({
    name,
    command: repoPath('bin', 'sdp.js'),
    args: ['gateway', '--supergraph', supergraphFile, '--port', '0'],
    env: { ...gatewayEnv(), ...extraEnv },
    cpus,
    ready: /^\s*GraphQL\s+(http\S+)/,
  });
  return { label: 'sdp', url: child.match[1]!, pid: child.pid, child };
}

export async function startStockGateway(
  supergraphFile: string,
  cpus: string | undefined,
  nodeFlags: string[] = [],
  env: Record<string, string> = {},
): Promise<GatewayUnderTest> {
  const child = await startChild({
    name: 'stock gateway',
    command: process.execPath,
    args: [
      ...nodeFlags,
      path.join(compiledBenchDir(), 'stock-gateway.js'),
      '--supergraph',
      supergraphFile,
      '--port',
      '0',
    ],
    env: { ...gatewayEnv(), ...env },
    cpus,
    ready: /^stock gateway listening at (http\S+)/,
  });
  return { label: 'stock', url: child.match[1]!, pid: child.pid, child };
}
