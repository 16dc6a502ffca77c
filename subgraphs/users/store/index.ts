/** The `users` store the configuration selects: MariaDB when SDP_MARIADB_URL is set, else in-process. */
import type { ProductRuntime } from '../../../platform/product';
import { createEmbeddedUsersStore } from './embedded';
import { openMariaDbUsersStore } from './mariadb';
import type { UsersStore } from './port';

export async function openUsersStore(runtime: ProductRuntime): Promise<UsersStore> {
  const url = runtime.config.mariadbUrl;
  if (url) {
    const logger = runtime.logger.child({ component: 'users-store' });
    return openMariaDbUsersStore(url, logger, runtime.config.connectRetrySeconds * 1000);
  }
  return createEmbeddedUsersStore();
}
