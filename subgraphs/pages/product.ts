/**
 * The `pages` data product: MediaWiki page and revision state, fed by the
 * `mediawiki.page_change.v1` stream, served as the `pages` subgraph.
 */
import type { DataProduct, StreamBinding } from '../../platform/product';
import { repoPath } from '../../platform/paths';
import { createPagesContext, type PagesContext } from './context';
import { toPageChange } from './events';
import {
  PAGE_CHANGE_SCHEMA_TITLE,
  PAGE_CHANGE_STREAM,
  pageChangeInvalidReason,
  pageChangeKey,
  type PageChangeEvent,
} from '../../streams/contracts/page-change';
import { resolvers } from './resolvers';
import { openPagesStore } from './store';
import type { PagesStore } from './store/port';

export const pageChangeBinding: StreamBinding<PagesStore, PageChangeEvent> = {
  stream: PAGE_CHANGE_STREAM,
  schemaTitle: PAGE_CHANGE_SCHEMA_TITLE,
  invalidReason: pageChangeInvalidReason,
  key: pageChangeKey,
  apply: (store, events) => store.applyChanges(events.map((e) => toPageChange(e.event))),
};

const pages: DataProduct<PagesStore, PagesContext> = {
  name: 'pages',
  description:
    'MediaWiki pages and their revision history: titles, redirects, moves, deletions, revision metadata.',
  owner: 'MediaWiki Platform',
  exampleQuery: `query PagesInIdOrder {
  pages(wikiId: "enwiki", first: 5) {
    edges {
      node {
        pageId
        title
        isRedirect
        latestRevision {
          revId
          timestamp
          comment
          editor {
            isAnonymous
            isBot
          }
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}`,
  portOffset: 0,
  sdlPath: repoPath('schema', 'pages.graphql'),
  openStore: openPagesStore,
  resolvers,
  context: createPagesContext,
  streams: [pageChangeBinding],
};

export default pages;
