/**
 * Per-request context of the `pageviews` subgraph: the store and a fresh
 * DataLoader over its daily rows, so a list of N pages asking for their
 * pageviews costs one batched store read (N partition reads in parallel), not
 * N sequential ones. The loader's key is the article and the day range only:
 * granularity, access and agent are applied to the loaded rows, so one page
 * asked for with several of them is read once.
 */
import type DataLoader from 'dataloader';
import { keyedLoader } from '../../loaders/keyed';
import type { DailyRangeKey, DailyRow } from './model';
import type { ProductRequest } from '../../platform/product';
import type { PageviewsStore } from './store/port';

export interface PageviewsContext {
  store: PageviewsStore;
  dailyRows: DataLoader<DailyRangeKey, DailyRow[] | null, string>;
}

export function createPageviewsContext(store: PageviewsStore, request?: ProductRequest): PageviewsContext {
  const dailyRows = keyedLoader<DailyRangeKey, DailyRow[]>((keys) => store.dailyRows(keys), {
    keyOf: (k) => `${k.project}\u0000${k.title}\u0000${k.startDay}\u0000${k.endDay}`,
    // Each key is a partition read; larger batches only queue in the driver.
    maxBatchSize: 200,
    signal: request?.signal,
  });
  return { store, dailyRows };
}
