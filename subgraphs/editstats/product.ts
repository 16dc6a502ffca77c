/**
 * The `editstats` data product: per-page and per-wiki daily edit counts, split
 * by editor kind, with net bytes changed, derived from the
 * `mediawiki.page_change.v1` stream (the platform's "transform" step) and
 * served as the `editstats` subgraph. Exact under redelivery: see rollup.ts.
 */
import type { DataProduct } from '../../platform/product';
import { repoPath } from '../../platform/paths';
import { editStatsPageChangeBinding } from './binding';
import { createEditStatsContext, type EditStatsContext } from './context';
import { utcDay } from './rollup';
import { resolvers } from './resolvers';
import { openEditStatsStore } from './store';
import type { EditStatsStore } from './store/port';

/**
 * GraphiQL's example, dated when the process starts: the demo feeder edits
 * "now", so a fixed date would show an empty list.
 */
function exampleQuery(now = Date.now()): string {
  const today = utcDay(now);
  const weekAgo = utcDay(now - 6 * 86_400_000);
  return `query TopEditedPagesToday {
  topEditedPages(wikiId: "enwiki", date: "${today}", first: 5) {
    rank
    edits
    anonymousEdits
    botEdits
    netBytes
    page {
      pageId
      title
      editStats(start: "${weekAgo}", end: "${today}") {
        timestamp
        edits
      }
    }
  }
  wikiEditStats(wikiId: "enwiki", start: "${weekAgo}", end: "${today}") {
    timestamp
    edits
    registeredEdits
    anonymousEdits
    botEdits
    netBytes
  }
}`;
}

const editstats: DataProduct<EditStatsStore, EditStatsContext> = {
  name: 'editstats',
  description:
    'Daily edit counts per page and per wiki (registered, anonymous, bot) with net bytes changed, and the most edited pages of a day.',
  owner: 'Data Engineering',
  exampleQuery: exampleQuery(),
  portOffset: 3,
  sdlPath: repoPath('schema', 'editstats.graphql'),
  openStore: openEditStatsStore,
  resolvers,
  context: createEditStatsContext,
  streams: [editStatsPageChangeBinding],
};

export default editstats;
