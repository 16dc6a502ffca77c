/**
 * Keyed batch loading: the one way resolvers read entities from a store.
 *
 * GraphQL resolves a list field by calling the child resolver once per item;
 * without batching, N pages cost N store queries. A keyed loader collects every
 * key asked for in one tick of the event loop and hands them to the store's
 * multi-key read in one call (one round trip), de-duplicated, then answers each
 * caller from the positional result. Loaders are created per request, so the
 * cache never serves one request's data to another or goes stale.
 */
import DataLoader from 'dataloader';

/** A store read: element i of the result answers key i, null when absent. */
export type BatchRead<K, V> = (keys: readonly K[]) => Promise<(V | null)[]>;

export interface KeyedLoaderOptions<K> {
  /** Stable string form of a key, for de-duplication and caching (composite keys are objects). */
  keyOf: (key: K) => string;
  /** Largest batch sent to the store in one call; bigger batches are split. */
  maxBatchSize?: number;
  /** Once aborted (the request's deadline passed, its caller left), no further batch reaches the store. */
  signal?: AbortSignal;
}

export function keyedLoader<K, V>(
  read: BatchRead<K, V>,
  options: KeyedLoaderOptions<K>,
): DataLoader<K, V | null, string> {
  return new DataLoader<K, V | null, string>(
    async (keys) => {
      options.signal?.throwIfAborted();
      const values = await read(keys);
      if (values.length !== keys.length) {
        // A store that breaks the positional contract would hand one caller
        // another caller's entity: fail the whole batch loudly instead.
        throw new Error(`store returned ${values.length} results for ${keys.length} keys`);
      }
      return values;
    },
    { cacheKeyFn: options.keyOf, maxBatchSize: options.maxBatchSize ?? 500 },
  );
}
