/**
 * The `users` store port. Adapters: `mariadb.ts` (mysql2 pool) and `embedded.ts`
 * (in-process, no server). `test/users/store.contract.test.ts` runs one suite
 * against both.
 *
 * Reads are keyed and batched (one call, many keys, one round trip) because the
 * resolvers reach them through DataLoaders; results are positional: element i
 * answers key i, null when absent.
 */
import type { UserChange, UserKey, UserRecord } from '../model';

export interface UsersStore {
  /** Human-readable, for start-up logs, e.g. `mariadb 127.0.0.1:3306/test`. */
  readonly description: string;

  /**
   * True when the state outlives the process (MariaDB); the platform replays an
   * embedded store's streams from the start of the log on every start.
   */
  readonly durable: boolean;

  /**
   * Folds changes, in the given order, with the rules of `state.ts`. One call is
   * one batch: adapters write it with a bounded number of round trips, not one
   * per change, and atomically (all or nothing), so a failed batch can be retried.
   */
  applyChanges(changes: readonly UserChange[]): Promise<void>;

  /** Users by (wiki, exact name), expired blocks included (callers decide what is current). */
  usersByName(keys: readonly UserKey[]): Promise<(UserRecord | null)[]>;

  /**
   * Removes every user, keeping the schema: the first step of `sdp rebuild`,
   * which then replays the streams into the empty store.
   */
  reset(): Promise<void>;

  close(): Promise<void>;
}
