/**
 * Per-request context of the `users` subgraph: the store and a fresh DataLoader
 * over it, so that resolving the editors of N revisions (N entity references
 * from the gateway) costs one store read, not N.
 */
import type DataLoader from 'dataloader';
import { keyedLoader } from '../../loaders/keyed';
import type { UserKey, UserRecord } from './model';
import type { UsersStore } from './store/port';

export interface UsersContext {
  store: UsersStore;
  userByName: DataLoader<UserKey, UserRecord | null, string>;
}

export function createUsersContext(store: UsersStore): UsersContext {
  const userByName = keyedLoader<UserKey, UserRecord>((keys) => store.usersByName(keys), {
    keyOf: (k) => `${k.wikiId}\u0000${k.name}`,
  });
  return { store, userByName };
}
