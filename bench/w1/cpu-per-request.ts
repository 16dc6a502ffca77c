/**
 * CPU time a gateway spends per W1 request, measured inside the gateway's own
 * process: steadier than requests/s on a shared machine, because it does not
 * depend on how much CPU the scheduler happens to give the process. The
 * optimisation log (bench/README.md) uses it next to `compare.ts`.
 *
 *   node dist/bench/w1/cpu-per-request.js [sdp|stock|<module>] [--requests 300] [--rounds 3]
 *
 * The W1 subgraphs run in a child process; this process runs the gateway and a
 * small keep-alive client (8 requests in flight), so the figure includes the
 * client's share, the same for every gateway measured. `<module>` is another
 * build of `gateway/server` (exporting `startGateway`).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import pino from 'pino';
import { startGateway } from '../../gateway/server';
import { disableVendorTelemetry } from '../../platform/vendor-telemetry';
import { close, createGraphQLHandler, createHttpServer, listen, urlFor } from '../../platform/http';
import { startW1Subgraphs, W1_QUERY } from './index';

const IN_FLIGHT = 8;

async function startStock(supergraphSdl: string): Promise<{ url: string; stop(): Promise<void> }> {
  // Default settings but one: nothing leaves this machine (platform/vendor-telemetry.ts).
  disableVendorTelemetry();
  const apollo = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  await apollo.start();
  const server = createHttpServer(createGraphQLHandler(apollo, { context: async () => ({}) }));
  const url = urlFor(await listen(server, 0, '127.0.0.1'), '/graphql');
  return {
    url,
    stop: async () => {
      await close(server);
      await apollo.stop();
    },
  };
}

async function main(): Promise<void> {
  const option = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : Number(process.argv[i + 1]);
  };
  const which = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'sdp';
  const requests = option('requests', 300);
  const rounds = option('rounds', 3);

  const subgraphs = fork(__filename, ['--serve-subgraphs'], { execArgv: process.execArgv });
  const [supergraphSdl] = (await once(subgraphs, 'message')) as [string];
  const logger = pino({ level: 'warn' });
  let gateway: { url: string; stop(): Promise<void> };
  if (which === 'stock') gateway = await startStock(supergraphSdl);
  else {
    const start: typeof startGateway =
      which === 'sdp'
        ? startGateway
        : ((await import(path.resolve(which))) as { startGateway: typeof startGateway }).startGateway;
    gateway = await start({ supergraphSdl, port: 0, host: '127.0.0.1', logger });
  }

  const agent = new http.Agent({ keepAlive: true });
  const body = JSON.stringify({ query: W1_QUERY });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        gateway.url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const run = async (n: number) => {
    let left = n;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (left-- > 0) await one();
      }),
    );
  };
  try {
    await run(requests / 2); // warm-up: JIT, plan cache, connection pools
    const perRequest: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const before = process.cpuUsage();
      await run(requests);
      const used = process.cpuUsage(before);
      perRequest.push(Math.round(((used.user + used.system) / 1000 / requests) * 100) / 100);
    }
    console.log(JSON.stringify({ gateway: which, requests, cpuMsPerRequest: perRequest }));
  } finally {
    agent.destroy();
    await gateway.stop();
    subgraphs.kill();
  }
}

if (process.argv.includes('--serve-subgraphs')) {
  void startW1Subgraphs().then((w1) => process.send?.(w1.supergraphSdl));
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
