/** The `editstats` store the configuration selects: Cassandra when SDP_CASSANDRA_CONTACT_POINTS is set, else in-process. */
import type { ProductRuntime } from '../../../platform/product';
import { openCassandraEditStatsStore } from './cassandra';
import { createEmbeddedEditStatsStore } from './embedded';
import type { EditStatsStore } from './port';

export async function openEditStatsStore(runtime: ProductRuntime): Promise<EditStatsStore> {
  if (runtime.config.cassandraContactPoints) {
    return openCassandraEditStatsStore(
      runtime.config,
      runtime.logger.child({ component: 'editstats-store' }),
    );
  }
  return createEmbeddedEditStatsStore();
}
