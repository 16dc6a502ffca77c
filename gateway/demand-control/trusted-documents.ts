/**
 * Trusted documents: the operations an Apollo persisted-query manifest lists
 * (the format `@apollo/generate-persisted-query-manifest` writes and GraphOS
 * safelists use):
 *
 *   { "format": "apollo-persisted-query-manifest", "version": 1,
 *     "operations": [{ "id": "<sha256 of body>", "name": "…", "type": "query", "body": "…" }] }
 *
 * Clients send an operation by id (`extensions.persistedQuery.sha256Hash`, the
 * APQ request shape, without `query`) or by its full text. Apollo Server looks
 * ids up through the `KeyValueCache` this module provides; registering new
 * documents through APQ is refused (its writes are ignored), so only the
 * manifest's operations have ids.
 */
import { readFileSync } from 'node:fs';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';

export interface TrustedOperation {
  id: string;
  name?: string;
  type?: string;
  body: string;
}

export class TrustedDocuments {
  private readonly byId = new Map<string, string>();
  private readonly bodies = new Set<string>();

  constructor(operations: readonly TrustedOperation[]) {
    for (const operation of operations) {
      this.byId.set(operation.id, operation.body);
      this.bodies.add(operation.body);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  /** True when `source` is exactly the text of one of the manifest's operations. */
  trusts(source: string | undefined): boolean {
    return source !== undefined && this.bodies.has(source);
  }

  /** Apollo Server's persisted-query store over the manifest: read-only, keys are ids behind APQ's prefix. */
  asPersistedQueryCache(): KeyValueCache<string> {
    return {
      get: async (key) => this.byId.get(key.slice(key.indexOf(':') + 1)),
      set: async () => {},
      delete: async () => false,
    };
  }
}

/** Reads and checks a manifest; errors name `variable` and say what is wrong. */
export function loadTrustedDocuments(path: string, variable = 'SDP_TRUSTED_DOCUMENTS'): TrustedDocuments {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `${variable}=${JSON.stringify(path)}: cannot read the manifest (${(error as Error).message})`,
    );
  }
  const manifest = parsed as { format?: unknown; version?: unknown; operations?: unknown };
  if (manifest?.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1) {
    throw new Error(
      `${variable}=${JSON.stringify(path)}: not an Apollo persisted-query manifest (expected "format": "apollo-persisted-query-manifest", "version": 1)`,
    );
  }
  if (!Array.isArray(manifest.operations)) {
    throw new Error(`${variable}=${JSON.stringify(path)}: "operations" must be an array`);
  }
  const operations = manifest.operations.map((operation: unknown, index: number) => {
    const o = operation as Partial<TrustedOperation>;
    if (typeof o?.id !== 'string' || o.id === '' || typeof o.body !== 'string' || o.body === '') {
      throw new Error(
        `${variable}=${JSON.stringify(path)}: operations[${index}] needs a non-empty "id" and "body"`,
      );
    }
    return o as TrustedOperation;
  });
  return new TrustedDocuments(operations);
}
