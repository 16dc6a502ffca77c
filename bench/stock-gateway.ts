/**
 * The stock alternative every gateway workload compares sdp against: Apollo
 * Server's standalone server in front of Apollo Gateway, the same package
 * versions sdp uses, default settings, nothing added. One process, started by
 * the benchmark like the sdp gateway:
 *
 *   node dist/bench/stock-gateway.js --supergraph <file> [--port N] [--host H]
 *
 * Prints `stock gateway listening at <url>` once it serves, and stops on SIGTERM
 * or SIGINT, or when its stdin closes (the benchmark died without stopping it).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { plannableSupergraph } from '../gateway/policy/requirements';
import { ASSERTION_HEADER, signAssertion } from '../platform/assertion';
import { ApolloServer } from '@apollo/server';
import { disableVendorTelemetry } from '../platform/vendor-telemetry';
import { startStandaloneServer } from '@apollo/server/standalone';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      supergraph: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  if (!values.supergraph) throw new Error('usage: stock-gateway --supergraph <file> [--port N] [--host H]');
  // Stock refuses `for: SECURITY` features it does not enforce; it enforces none, so it gets them unmarked.
  const supergraphSdl = plannableSupergraph(readFileSync(values.supergraph, 'utf8'));
  // Default settings but one: nothing leaves this machine (see platform/vendor-telemetry.ts).
  disableVendorTelemetry();
  // The platform's subgraphs answer only requests carrying the gateway's signed
  // assertion: given the secret, stock signs each subgraph call too (for a
  // principal holding every scope, as it enforces nothing), so both gateways
  // pay for a signature per request.
  const secret = process.env.SDP_SUBGRAPH_SECRET;
  const principal = {
    id: 'bench:stock',
    kind: 'api-key' as const,
    tier: 'keyed' as const,
    name: 'stock gateway',
    scopes: new Set(['pii:read', 'oversight:read']),
    clientAddress: '127.0.0.1',
  };
  const gateway = new ApolloGateway({
    supergraphSdl,
    ...(secret
      ? {
          buildService: ({ url }) =>
            new RemoteGraphQLDataSource({
              url,
              willSendRequest({ request }) {
                request.http?.headers.set(ASSERTION_HEADER, signAssertion(secret, principal, 'stock'));
              },
            }),
        }
      : {}),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: Number(values.port), host: values.host },
  });
  process.stdout.write(`stock gateway listening at ${url}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop).resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`stock gateway: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
