/**
 * The `pageviews` data product: Wikimedia AQS's per-article and top-articles
 * pageview metrics, fed by the `analytics.pageview_hourly` stream and by bulk
 * loads of the public hourly dumps (`sdp load pageviews <file>...`), served as
 * the `pageviews` subgraph (`Page.pageviews`, `Query.topPages`).
 */
import type { DataProduct, StreamBinding } from '../../platform/product';
import { repoPath } from '../../platform/paths';
import { createPageviewsContext, type PageviewsContext } from './context';
import {
  PAGEVIEW_HOURLY_SCHEMA_TITLE,
  PAGEVIEW_HOURLY_STREAM,
  pageviewHourlyInvalidReason,
  pageviewHourlyKey,
  toPageviewHour,
  type PageviewHourlyEvent,
} from './events';
import { loadPageviewDumps } from './load';
import { resolvers } from './resolvers';
import { openPageviewsStore } from './store';
import { DAY_MS, hourOf } from './timestamps';
import type { PageviewsStore } from './store/port';

export const pageviewHourlyBinding: StreamBinding<PageviewsStore, PageviewHourlyEvent> = {
  stream: PAGEVIEW_HOURLY_STREAM,
  schemaTitle: PAGEVIEW_HOURLY_SCHEMA_TITLE,
  invalidReason: pageviewHourlyInvalidReason,
  key: pageviewHourlyKey,
  // Absolute counts: a redelivered batch writes the same values again. Hours
  // past retention are valid events with nothing left to update.
  apply: async (store, events) => {
    await store.writeHours(events.map((e) => toPageviewHour(e.event)));
  },
};

// The example asks about the days the demo feeder has data for: the last week up to the start of the process.
const today = hourOf(Date.now()).slice(0, 8);
const weekAgo = hourOf(Date.now() - 6 * DAY_MS).slice(0, 8);

const pageviews: DataProduct<PageviewsStore, PageviewsContext> = {
  name: 'pageviews',
  description:
    'Page view counts per article (daily or monthly, by access method and agent) and the daily most viewed articles, as Wikimedia AQS serves them.',
  owner: 'Data Engineering',
  exampleQuery: `query MostViewedToday {
  topPages(wikiId: "enwiki", date: "${today}", first: 5) {
    rank
    views
    page {
      title
      pageviews(start: "${weekAgo}", end: "${today}") {
        timestamp
        views
      }
    }
  }
}`,
  portOffset: 2,
  sdlPath: repoPath('schema', 'pageviews.graphql'),
  openStore: openPageviewsStore,
  resolvers,
  context: createPageviewsContext,
  streams: [pageviewHourlyBinding],
  loader: {
    accepts: 'Wikimedia hourly pageviews dumps: pageviews-YYYYMMDD-HH0000 or pageviews-YYYYMMDD-HH0000.gz',
    load: loadPageviewDumps,
  },
};

export default pageviews;
