/** The `pages` store the configuration selects: MariaDB when SDP_MARIADB_URL is set, else in-process. */
import type { ProductRuntime } from '../../../platform/product';
import { createEmbeddedPagesStore } from './embedded';
import { openMariaDbPagesStore } from './mariadb';
import type { PagesStore } from './port';

export async function openPagesStore(runtime: ProductRuntime): Promise<PagesStore> {
  const url = runtime.config.mariadbUrl;
  if (url) {
    const logger = runtime.logger.child({ component: 'pages-store' });
    return openMariaDbPagesStore(url, logger, runtime.config.connectRetrySeconds * 1000);
  }
  return createEmbeddedPagesStore();
}
