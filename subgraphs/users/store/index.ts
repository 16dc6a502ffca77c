/** The `users` store the configuration selects: MariaDB when SDP_MARIADB_URL is set, else in-process. */
import type { ProductRuntime } from '../../../platform/product';
import { createEmbeddedUsersStore } from './embedded';
import { openMariaDbUsersStore } from './mariadb';
import type { UsersStore } from './port';

export async function openUsersStore(runtime: ProductRuntime): Promise<UsersStore> {
  const url = runtime.config.mariadbUrl;
  if (url) return openMariaDbUsersStore(url, runtime.logger.child({ component: 'users-store' }));
  return createEmbeddedUsersStore();
}
