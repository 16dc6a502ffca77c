/**
 * What every end-to-end test sets up the same way: a platform that keeps to
 * itself (ephemeral ports, no demo feeder, its own topics and consumer groups,
 * its own data directory for keys and audit) and GraphQL queries through its
 * gateway, anonymously or with an API key.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SdpConfig } from '../../config/env';
import { generateKey, hashKey, openKeyStore } from '../../gateway/authentication/key-store';

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
    SDP_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sdp-data-')),
    ...(tag === undefined ? {} : { SDP_TOPIC_PREFIX: `${tag}.`, SDP_CONSUMER_GROUP_PREFIX: tag }),
  };
}

/**
 * Creates an API key in the key store `config` names (as `sdp keys create` does,
 * without the audit event) and returns it. A platform started afterwards knows it at once.
 */
export async function createApiKey(
  config: Pick<SdpConfig, 'mariadbUrl' | 'access'>,
  scopes: string[],
  options: { name?: string; expiresAt?: string | null; revokedAt?: string | null } = {},
): Promise<{ id: string; key: string }> {
  const store = await openKeyStore({ mariadbUrl: config.mariadbUrl, dataDir: config.access.dataDir });
  try {
    const { id, key } = generateKey();
    await store.insert({
      id,
      name: options.name ?? 'test',
      scopes,
      hash: hashKey(key),
      createdAt: new Date().toISOString(),
      expiresAt: options.expiresAt ?? null,
      revokedAt: options.revokedAt ?? null,
    });
    return { id, key };
  } finally {
    await store.close();
  }
}

/**
 * POSTs a query to `<gatewayUrl>/graphql`, as `Authorization: Bearer <key>` when given one;
 * its `data`, or a thrown error holding the GraphQL errors.
 */
export async function queryGateway<T>(gatewayUrl: string, query: string, key?: string): Promise<T> {
  const res = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
