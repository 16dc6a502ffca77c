/**
 * The `pages` subgraph's API behaviour on the real embedded store: pagination,
 * lookups, deletion as a tombstone, revision visibility and input errors.
 */
import pages from '../../subgraphs/pages/product';
import { toPageChange } from '../../subgraphs/pages/events';
import { createEmbeddedPagesStore } from '../../subgraphs/pages/store/embedded';
import type { PagesStore } from '../../subgraphs/pages/store/port';
import { pageChange, type EventSpec } from '../fixtures/page-change';
import { serveProduct, type ProductOperations } from '../harness/subgraph';

let store: PagesStore;
let ops: ProductOperations;
const run = (query: string, variables?: Record<string, unknown>) => ops.run(query, variables);
const data = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  ops.data<T>(query, variables);

async function apply(...specs: EventSpec[]): Promise<void> {
  await store.applyChanges(specs.map((s) => toPageChange(pageChange(s))));
}

beforeAll(async () => {
  ops = await serveProduct(pages, () => store);
});

afterAll(() => ops.stop());

beforeEach(async () => {
  store = createEmbeddedPagesStore();
  // 25 articles, two talk pages, one redirect, one page on another wiki.
  for (let i = 1; i <= 25; i++)
    await apply({ kind: 'create', pageId: i, title: `Article_${i}`, revId: 100 + i });
  await apply(
    { kind: 'create', pageId: 40, title: 'Talk:Article_1', namespace: 1, revId: 200 },
    { kind: 'create', pageId: 41, title: 'Talk:Article_2', namespace: 1, revId: 201 },
    { kind: 'create', pageId: 50, title: 'Old_name', revId: 300, redirectTo: { title: 'Article_3' } },
    { kind: 'create', wikiId: 'dewiki', pageId: 1, title: 'Hauptseite', revId: 7 },
  );
});

type PagesPage = {
  pages: {
    edges: { cursor: string; node: { pageId: string } }[];
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      startCursor: string | null;
      endCursor: string | null;
    };
  };
};

const PAGES = `query ($ns: Int, $first: Int, $after: String) {
  pages(wikiId: "enwiki", namespace: $ns, first: $first, after: $after) {
    edges { cursor node { pageId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('pages connection', () => {
  it('walks every live page once, in page id order, with stable cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let round = 0; round < 10; round++) {
      const { pages: page }: PagesPage = await data<PagesPage>(PAGES, { first: 10, after });
      seen.push(...page.edges.map((e) => e.node.pageId));
      expect(page.pageInfo.hasPreviousPage).toBe(false);
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const expected = [...Array.from({ length: 25 }, (_, i) => String(i + 1)), '40', '41', '50'];
    expect(seen).toEqual(expected);
  });

  it('filters by namespace and reports an empty last page correctly', async () => {
    const { pages: talk } = await data<PagesPage>(PAGES, { ns: 1, first: 2 });
    expect(talk.edges.map((e) => e.node.pageId)).toEqual(['40', '41']);
    expect(talk.pageInfo.hasNextPage).toBe(false);
    const { pages: rest } = await data<PagesPage>(PAGES, { ns: 1, first: 2, after: talk.pageInfo.endCursor });
    expect(rest).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it('leaves deleted pages out, and a cursor stays valid when its page is deleted', async () => {
    const { pages: first } = await data<PagesPage>(PAGES, { first: 3 });
    await apply({ kind: 'delete', pageId: 3, title: 'Article_3', revId: 103, dt: '2026-02-01T00:00:00Z' });
    await apply({ kind: 'delete', pageId: 4, title: 'Article_4', revId: 104, dt: '2026-02-01T00:00:00Z' });
    const { pages: next } = await data<PagesPage>(PAGES, { first: 3, after: first.pageInfo.endCursor });
    expect(next.edges.map((e) => e.node.pageId)).toEqual(['5', '6', '7']);
  });

  it.each([
    [{ first: 0 }, /first must be between 1 and 100, got 0/],
    [{ first: 101 }, /first must be between 1 and 100, got 101/],
    [{ after: 'bm9wZQ' }, /is not a pages cursor/],
    [{ after: Buffer.from('rev:5').toString('base64url') }, /is not a pages cursor/],
  ])('rejects bad arguments %j with BAD_USER_INPUT', async (variables, message) => {
    const result = await run(PAGES, variables);
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('page lookups', () => {
  it('finds a page by id or by namespace and title, and both must agree', async () => {
    const q = `query ($id: ID, $ns: Int, $t: String) { page(wikiId: "enwiki", pageId: $id, namespace: $ns, title: $t) { pageId title namespace } }`;
    expect((await data(q, { id: '40' })).page).toEqual({
      pageId: '40',
      title: 'Talk:Article_1',
      namespace: 1,
    });
    expect((await data(q, { ns: 1, t: 'Talk:Article_1' })).page).toEqual({
      pageId: '40',
      title: 'Talk:Article_1',
      namespace: 1,
    });
    // namespace defaults to 0: a talk page's title is not found in the main namespace.
    expect((await data(q, { t: 'Talk:Article_1' })).page).toBeNull();
    expect((await data(q, { id: '40', ns: 1, t: 'Talk:Article_2' })).page).toBeNull();
    expect((await data(q, { id: '9999' })).page).toBeNull();
  });

  it('keeps wikis apart', async () => {
    const q = `{ en: page(wikiId: "enwiki", pageId: "1") { title } de: page(wikiId: "dewiki", pageId: "1") { title } }`;
    expect(await data(q)).toEqual({ en: { title: 'Article_1' }, de: { title: 'Hauptseite' } });
  });

  it.each([
    ['{ page(wikiId: "enwiki") { title } }', /page needs pageId or title/],
    ['{ page(wikiId: "enwiki", pageId: "abc") { title } }', /pageId must be a positive integer id/],
    ['{ revision(wikiId: "enwiki", revId: "-1") { revId } }', /revId must be a positive integer id/],
  ])('%s is a BAD_USER_INPUT error', async (query, message) => {
    const result = await run(query);
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('resolves a redirect to its target page', async () => {
    const { page } = await data<{ page: { isRedirect: boolean; redirectTarget: { pageId: string } | null } }>(
      '{ page(wikiId: "enwiki", title: "Old_name") { isRedirect redirectTarget { pageId } } }',
    );
    expect(page).toEqual({ isRedirect: true, redirectTarget: { pageId: '3' } });
    const plain = await data(
      '{ page(wikiId: "enwiki", pageId: "3") { isRedirect redirectTarget { pageId } } }',
    );
    expect(plain.page).toEqual({ isRedirect: false, redirectTarget: null });
  });
});

describe('revisions', () => {
  beforeEach(async () => {
    for (let r = 1; r <= 4; r++) {
      await apply({
        kind: 'edit',
        pageId: 7,
        title: 'Article_7',
        revId: 1000 + r,
        parentRevId: r === 1 ? 107 : 999 + r,
      });
    }
  });

  it('lists a page history newest first, paginated', async () => {
    const q = `query ($after: String) { page(wikiId: "enwiki", pageId: "7") {
      revisions(first: 2, after: $after) { edges { node { revId parentRevId } } pageInfo { hasNextPage endCursor } } } }`;
    type R = {
      page: {
        revisions: {
          edges: { node: { revId: string; parentRevId: string | null } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
    };
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { page }: R = await data<R>(q, { after });
      ids.push(...page.revisions.edges.map((e) => e.node.revId));
      if (!page.revisions.pageInfo.hasNextPage) break;
      after = page.revisions.pageInfo.endCursor;
    }
    expect(ids).toEqual(['1004', '1003', '1002', '1001', '107']);
    const first = await data<R>(q, {});
    expect(first.page.revisions.edges[0]!.node.parentRevId).toBe('1003');
  });

  it('hides what revision deletion hides, and shows it again when unhidden', async () => {
    const q =
      '{ revision(wikiId: "enwiki", revId: "1002") { comment sizeBytes sha1 editor { name } timestamp } }';
    const visible = await data<{ revision: Record<string, unknown> }>(q);
    expect(visible.revision).toMatchObject({ comment: 'edit Article_7 r1002', editor: { name: 'Alice' } });
    expect(visible.revision.sha1).toBe('sha1002');

    const hidden = { comment: false, content: false, editor: false };
    await apply({
      kind: 'visibility_change',
      pageId: 7,
      title: 'Article_7',
      revId: 1002,
      dt: '2026-03-01T00:00:00Z',
      visibility: hidden,
    });
    expect((await data(q)).revision).toEqual({
      comment: null,
      sizeBytes: null,
      sha1: null,
      editor: null,
      timestamp: visible.revision.timestamp,
    });
    // The visibility change names an old revision: the latest revision is unchanged.
    const latest = await data('{ page(wikiId: "enwiki", pageId: "7") { latestRevision { revId } } }');
    expect(latest.page).toEqual({ latestRevision: { revId: '1004' } });

    await apply({
      kind: 'visibility_change',
      pageId: 7,
      title: 'Article_7',
      revId: 1002,
      dt: '2026-03-02T00:00:00Z',
      comment: 'edit Article_7 r1002',
    });
    expect((await data(q)).revision).toEqual(visible.revision);
  });

  it('keeps a deleted page as a tombstone: gone from the API, back with history on undelete', async () => {
    const q = `{ page(wikiId: "enwiki", pageId: "7") { title revisions(first: 10) { edges { node { revId } } } }
      revision(wikiId: "enwiki", revId: "1003") { revId page { pageId } } }`;
    const before = await data(q);
    await apply({ kind: 'delete', pageId: 7, title: 'Article_7', revId: 1004, dt: '2026-04-01T00:00:00Z' });
    expect(await data(q)).toEqual({ page: null, revision: null });
    const entities = await data(
      '{ _entities(representations: [{__typename: "Page", wikiId: "enwiki", pageId: "7"}]) { ... on Page { title } } }',
    );
    expect(entities._entities).toEqual([null]);
    await apply({ kind: 'undelete', pageId: 7, title: 'Article_7', revId: 1004, dt: '2026-04-01T00:00:00Z' });
    expect(await data(q)).toEqual(before);
  });

  it('names anonymous editors by their address, as a User reference', async () => {
    await apply({
      kind: 'edit',
      pageId: 8,
      title: 'Article_8',
      revId: 2000,
      editor: { name: '198.51.100.7' },
    });
    const { revision } = await data<{
      revision: { editor: { __typename: string; wikiId: string; name: string } };
    }>('{ revision(wikiId: "enwiki", revId: "2000") { editor { __typename wikiId name } } }');
    expect(revision.editor).toEqual({ __typename: 'User', wikiId: 'enwiki', name: '198.51.100.7' });
  });
});
