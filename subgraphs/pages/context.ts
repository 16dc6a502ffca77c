/**
 * Per-request context of the `pages` subgraph: the store and fresh DataLoaders
 * over it, so that resolving N pages or N latest revisions costs one store read
 * per batch, not N.
 */
import type DataLoader from 'dataloader';
import { keyedLoader } from '../../loaders/keyed';
import type { PageKey, PageRecord, PageTitleKey, RevisionKey, RevisionRecord } from './model';
import type { ProductRequest } from '../../platform/product';
import type { PagesStore } from './store/port';

export interface PagesContext {
  store: PagesStore;
  pageById: DataLoader<PageKey, PageRecord | null, string>;
  pageByTitle: DataLoader<PageTitleKey, PageRecord | null, string>;
  revisionById: DataLoader<RevisionKey, RevisionRecord | null, string>;
}

export function createPagesContext(store: PagesStore, request?: ProductRequest): PagesContext {
  const signal = request?.signal;
  const pageById = keyedLoader<PageKey, PageRecord>((keys) => store.pagesById(keys), {
    keyOf: (k) => `${k.wikiId}\u0000${k.pageId}`,
    signal,
  });
  const pageByTitle = keyedLoader<PageTitleKey, PageRecord>((keys) => store.pagesByTitle(keys), {
    keyOf: (k) => `${k.wikiId}\u0000${k.namespace}\u0000${k.title}`,
    signal,
  });
  const revisionById = keyedLoader<RevisionKey, RevisionRecord>((keys) => store.revisionsById(keys), {
    keyOf: (k) => `${k.wikiId}\u0000${k.revId}`,
    signal,
  });
  return { store, pageById, pageByTitle, revisionById };
}

/** Seeds the id loader with rows a list query already read, so their fields cost nothing more. */
export function primePages(ctx: PagesContext, pages: readonly PageRecord[]): void {
  for (const p of pages) ctx.pageById.prime({ wikiId: p.wikiId, pageId: p.pageId }, p);
}
