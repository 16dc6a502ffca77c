/**
 * DataLoader batching: N pages, N latest revisions or N entity references cost
 * one store read per batch, not N. Counted at the store port, on the real
 * embedded adapter.
 */
import pages from '../../subgraphs/pages/product';
import { toPageChange } from '../../subgraphs/pages/events';
import { createEmbeddedPagesStore } from '../../subgraphs/pages/store/embedded';
import type { PagesStore } from '../../subgraphs/pages/store/port';
import type { PageChange } from '../../subgraphs/pages/model';
import { pageChange } from '../fixtures/page-change';
import { countingStore, serveProduct, type ProductOperations } from '../harness/subgraph';

const N = 30;
let ops: ProductOperations;
let counted: { store: PagesStore; calls: Record<string, number> };

beforeAll(async () => {
  const store = createEmbeddedPagesStore();
  const changes: PageChange[] = [];
  for (let i = 1; i <= N; i++) {
    const title = `Page_${i}`;
    changes.push(toPageChange(pageChange({ kind: 'create', pageId: i, title, revId: 1000 + i * 2 })));
    changes.push(
      toPageChange(
        pageChange({ kind: 'edit', pageId: i, title, revId: 1001 + i * 2, parentRevId: 1000 + i * 2 }),
      ),
    );
  }
  await store.applyChanges(changes);
  counted = countingStore(store);
  ops = await serveProduct(pages, () => counted.store);
});

afterAll(() => ops.stop());

beforeEach(() => {
  for (const k of Object.keys(counted.calls)) delete counted.calls[k];
});

const run = (query: string, variables?: Record<string, unknown>) => ops.data(query, variables);

test('a page list with every latest revision and its page costs one read per level', async () => {
  const data = await run(`{ pages(wikiId: "enwiki", first: ${N}) {
    edges { node { pageId latestRevision { revId page { title } } } } } }`);
  const edges = (data.pages as { edges: { node: { latestRevision: { revId: string } } }[] }).edges;
  expect(edges).toHaveLength(N);
  expect(edges[N - 1]!.node.latestRevision.revId).toBe(String(1001 + N * 2));
  // One list read, one batched revision read; the pages of those revisions were
  // primed by the list, so no page read at all.
  expect(counted.calls).toEqual({ listPages: 1, revisionsById: 1 });
});

test('N entity references resolve with one batched read', async () => {
  const representations = Array.from({ length: N }, (_, i) => ({
    __typename: 'Page',
    wikiId: 'enwiki',
    pageId: String(i + 1),
  }));
  const data = await run(
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Page { title latestRevision { revId } } } }`,
    { r: representations },
  );
  expect((data._entities as unknown[]).length).toBe(N);
  expect(counted.calls).toEqual({ pagesById: 1, revisionsById: 1 });
});

test('references by title and by revision id batch too', async () => {
  const representations = [
    ...Array.from({ length: 10 }, (_, i) => ({
      __typename: 'Page',
      wikiId: 'enwiki',
      namespace: 0,
      title: `Page_${i + 1}`,
    })),
    ...Array.from({ length: 10 }, (_, i) => ({
      __typename: 'Revision',
      wikiId: 'enwiki',
      revId: String(1001 + (i + 1) * 2),
    })),
  ];
  const data = await run(
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Page { pageId } ... on Revision { sizeBytes } } }`,
    { r: representations },
  );
  expect((data._entities as (object | null)[]).every((e) => e !== null)).toBe(true);
  // Revisions are public only on live pages: their pages load in one more batch.
  expect(counted.calls).toEqual({ pagesByTitle: 1, revisionsById: 1, pagesById: 1 });
});
