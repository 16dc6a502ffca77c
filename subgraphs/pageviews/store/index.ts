/** The `pageviews` store the configuration selects: Cassandra when SDP_CASSANDRA_CONTACT_POINTS is set, else in-process. */
import type { SdpConfig } from '../../../config/env';
import type { ProductRuntime } from '../../../platform/product';
import type { Retention } from '../retention';
import { openCassandraPageviewsStore } from './cassandra';
import { createEmbeddedPageviewsStore } from './embedded';
import type { PageviewsStore } from './port';

export function retentionOf(config: SdpConfig): Retention {
  return { hourlyDays: config.pageviewsHourlyRetentionDays, dailyDays: config.pageviewsDailyRetentionDays };
}

export async function openPageviewsStore(runtime: ProductRuntime): Promise<PageviewsStore> {
  const retention = retentionOf(runtime.config);
  if (runtime.config.cassandraContactPoints) {
    return openCassandraPageviewsStore(runtime.config, {
      retention,
      logger: runtime.logger.child({ component: 'pageviews-store' }),
    });
  }
  return createEmbeddedPageviewsStore({ retention });
}
