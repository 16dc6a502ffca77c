/**
 * Per-request context of the `editstats` subgraph: the store and a DataLoader
 * over page series, so the gateway asking N pages' `editStats` in one
 * `_entities` call (a top list, a page list from the `pages` product) costs one
 * store call that reads the N partitions concurrently, not N sequential reads.
 */
import type DataLoader from 'dataloader';
import { keyedLoader } from '../../loaders/keyed';
import type { DailyEditCounts, PageStatsQuery } from './model';
import type { EditStatsStore } from './store/port';

export interface EditStatsContext {
  store: EditStatsStore;
  pageStats: DataLoader<PageStatsQuery, DailyEditCounts[] | null, string>;
}

export function createEditStatsContext(store: EditStatsStore): EditStatsContext {
  const pageStats = keyedLoader<PageStatsQuery, DailyEditCounts[]>(
    (queries) => store.pageDailyStats(queries),
    {
      keyOf: (q) => `${q.wikiId}\u0000${q.pageId}\u0000${q.startDay}\u0000${q.endDay}`,
    },
  );
  return { store, pageStats };
}
