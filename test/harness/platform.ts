/**
 * What every end-to-end test sets up the same way: a platform that keeps to
 * itself (ephemeral ports, no demo feeder, its own topics and consumer groups)
 * and GraphQL queries through its gateway.
 */

/**
 * Settings for a platform isolated from the machine's and other tests':
 * ephemeral gateway and subgraph ports, no demo feeder, warnings only, and,
 * given `tag`, topics `<tag>.<stream>` and consumer groups `<tag>.…`. Spread
 * the test's own settings after it.
 */
export function isolatedPlatformEnv(tag?: string): Record<string, string> {
  return {
    SDP_PORT: '0',
    SDP_SUBGRAPH_PORT_BASE: '0',
    SDP_DEMO: '0',
    SDP_LOG_LEVEL: 'warn',
    ...(tag === undefined ? {} : { SDP_TOPIC_PREFIX: `${tag}.`, SDP_CONSUMER_GROUP_PREFIX: tag }),
  };
}

/** POSTs a query to `<gatewayUrl>/graphql`; its `data`, or a thrown error holding the GraphQL errors. */
export async function queryGateway<T>(gatewayUrl: string, query: string): Promise<T> {
  const res = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
