/**
 * One contract for every `PagesStore` adapter: the same histories, built from
 * schema-shaped page_change events through `toPageChange`, must leave the same
 * state in the embedded store and in MariaDB, whatever the delivery order,
 * duplication or batching. The expected state is not another adapter's output
 * but what the simulated wiki itself holds at the end of its history.
 *
 * Tests isolate themselves by wiki id, so one store (one database) serves a file.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  migrate,
  openMariaDbPool,
  parseMariaDbUrl,
  withTransaction,
  type Migration,
} from '../../platform/mariadb';
import { toPageChange } from '../../subgraphs/pages/events';
import { type PageChangeEvent, type UserEntity } from '../../streams/contracts/page-change';
import type { PageChange, PageRecord, RevisionRecord } from '../../subgraphs/pages/model';
import type { PageChangeKind } from '../../streams/contracts/page-change';
import { mergePage, mergeRevision } from '../../subgraphs/pages/state';
import { createEmbeddedPagesStore } from '../../subgraphs/pages/store/embedded';
import { openMariaDbPagesStore, UPSERT_CHUNK_ROWS } from '../../subgraphs/pages/store/mariadb';
import type { PagesStore } from '../../subgraphs/pages/store/port';
import { createTestDatabase, type TestDatabase } from '../harness/mariadb';
import { prng, shuffled, randomBatches as batches } from '../fixtures/random';

// ---------------------------------------------------------------------------
// A simulated wiki that emits page_change events and knows its own final state

/** ISO-8601 with microseconds, as Event Platform writes `dt`. */
function isoMicros(us: number): string {
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;
}

interface Visibility {
  comment: boolean;
  content: boolean;
  editor: boolean;
}

interface SimRevision {
  revId: number;
  pageId: number;
  parentRevId: number | null;
  revDt: string;
  sha1: string;
  size: number;
  minor: boolean;
  comment: string;
  editor: UserEntity;
  visible: Visibility;
  visibilityDtUs: number;
}

type Redirect = { namespace: number; title: string } | 'interwiki' | null;

interface SimPage {
  pageId: number;
  namespace: number;
  title: string;
  redirect: Redirect;
  deleted: boolean;
  latestRevId: number;
  revIds: number[];
  version: { dtUs: number; revId: number };
}

/** Titles that trip up collations: case, accents, 4-byte characters, a trailing space, 255 bytes. */
const AWKWARD_TITLES = [
  'Foo_bar',
  'Foo_Bar',
  'foo_bar',
  'Zürich',
  'Zurich',
  '東京',
  '😀_Emoji',
  'Foo_bar ',
  `${'Ä'.repeat(127)}x`,
];
const NAMESPACES = [0, 0, 0, 1, 14];
const EDITORS: UserEntity[] = [
  { user_id: 42, user_text: 'Alice' },
  { user_id: 7, user_text: 'Bob' },
  { user_text: '192.0.2.1' },
  { user_id: 9, user_text: 'Zoë' },
];

class WikiHistory {
  readonly events: PageChangeEvent[] = [];
  readonly pages = new Map<number, SimPage>();
  readonly revisions = new Map<number, SimRevision>();
  /** Every (namespace, title) a page ever had, for title lookups of freed titles too. */
  readonly titles = new Map<string, { namespace: number; title: string }>();
  private clockUs = Date.UTC(2024, 0, 1) * 1000;
  private nextPageId = 1;
  private nextRevId = 1;
  private nextTitle = 0;

  constructor(
    readonly wikiId: string,
    private readonly random: () => number = prng(1),
  ) {}

  get changes(): PageChange[] {
    return this.events.map(toPageChange);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private titleTaken(namespace: number, title: string): boolean {
    for (const p of this.pages.values())
      if (!p.deleted && p.namespace === namespace && p.title === title) return true;
    return false;
  }

  private freshTitle(): { namespace: number; title: string } {
    for (;;) {
      const namespace = this.pick(NAMESPACES);
      const title =
        this.random() < 0.3
          ? this.pick(AWKWARD_TITLES)
          : `Page_${(this.nextTitle++).toString(36)}_${this.wikiId}`;
      if (!this.titleTaken(namespace, title)) return { namespace, title };
    }
  }

  private newRevision(pageId: number, parentRevId: number | null, comment?: string): SimRevision {
    const revId = this.nextRevId++;
    const rev: SimRevision = {
      revId,
      pageId,
      parentRevId,
      revDt: new Date(Math.floor(this.clockUs / 1000)).toISOString(),
      sha1: `s${revId.toString(36)}`,
      size: Math.floor(this.random() * 50_000),
      minor: this.random() < 0.3,
      comment: comment ?? (this.random() < 0.1 ? '' : `edit summary ${revId} ✎`),
      editor: this.pick(EDITORS),
      visible: { comment: true, content: true, editor: true },
      visibilityDtUs: 0,
    };
    this.revisions.set(revId, rev);
    return rev;
  }

  /** Emits one event; the simulated state has already been changed by the caller. */
  private emit(kind: PageChangeKind, page: SimPage, rev: SimRevision): PageChange {
    this.clockUs += 1 + Math.floor(this.random() * 2500);
    const dt = isoMicros(this.clockUs);
    page.version = { dtUs: this.clockUs, revId: rev.revId };
    if (kind !== 'visibility_change') page.latestRevId = Math.max(page.latestRevId, rev.revId);
    rev.visibilityDtUs = this.clockUs;
    this.titles.set(`${page.namespace}\u0000${page.title}`, { namespace: page.namespace, title: page.title });
    const v = rev.visible;
    const link =
      page.redirect === 'interwiki'
        ? { page_title: 'Elsewhere', namespace_id: 0, interwiki_prefix: 'de' }
        : page.redirect
          ? { page_title: page.redirect.title, namespace_id: page.redirect.namespace }
          : undefined;
    const event: PageChangeEvent = {
      $schema: '/mediawiki/page/change/1.2.0',
      meta: { stream: 'mediawiki.page_change.v1', dt, domain: `${this.wikiId}.example.org` },
      dt,
      wiki_id: this.wikiId,
      changelog_kind:
        kind === 'create' || kind === 'undelete' ? 'insert' : kind === 'delete' ? 'delete' : 'update',
      page_change_kind: kind,
      page: {
        page_id: page.pageId,
        page_title: page.title,
        namespace_id: page.namespace,
        is_redirect: page.redirect !== null,
        ...(link ? { redirect_page_link: link } : {}),
      },
      // What is hidden at the time of the event is omitted, as MediaWiki does.
      revision: {
        rev_id: rev.revId,
        rev_dt: rev.revDt,
        rev_parent_id: rev.parentRevId ?? 0,
        is_minor_edit: rev.minor,
        is_comment_visible: v.comment,
        is_content_visible: v.content,
        is_editor_visible: v.editor,
        ...(v.content ? { rev_sha1: rev.sha1, rev_size: rev.size } : {}),
        ...(v.comment ? { comment: rev.comment } : {}),
        ...(v.editor ? { editor: rev.editor } : {}),
      },
    };
    this.events.push(event);
    return toPageChange(event);
  }

  create(at?: { namespace: number; title: string }, redirect: Redirect = null): SimPage {
    const { namespace, title } = at ?? this.freshTitle();
    const pageId = this.nextPageId++;
    const rev = this.newRevision(pageId, null);
    const page: SimPage = {
      pageId,
      namespace,
      title,
      redirect,
      deleted: false,
      latestRevId: rev.revId,
      revIds: [rev.revId],
      version: { dtUs: 0, revId: 0 },
    };
    this.pages.set(pageId, page);
    this.emit('create', page, rev);
    return page;
  }

  edit(page: SimPage, redirect: Redirect = page.redirect): PageChange {
    const rev = this.newRevision(page.pageId, page.latestRevId);
    page.revIds.push(rev.revId);
    page.redirect = redirect;
    return this.emit('edit', page, rev);
  }

  /** A move writes a null revision on the moved page; a left-behind redirect is a new page with its own create event. */
  move(page: SimPage, to: { namespace: number; title: string }, leaveRedirect: boolean): PageChange {
    const from = { namespace: page.namespace, title: page.title };
    const rev = this.newRevision(page.pageId, page.latestRevId, `moved ${from.title} to ${to.title}`);
    page.revIds.push(rev.revId);
    page.namespace = to.namespace;
    page.title = to.title;
    const change = this.emit('move', page, rev);
    if (leaveRedirect) this.create(from, { ...to });
    return change;
  }

  delete(page: SimPage): PageChange {
    page.deleted = true;
    return this.emit('delete', page, this.revisions.get(page.latestRevId)!);
  }

  undelete(page: SimPage): PageChange {
    page.deleted = false;
    return this.emit('undelete', page, this.revisions.get(page.latestRevId)!);
  }

  setVisibility(page: SimPage, revId: number, visible: Visibility): PageChange {
    const rev = this.revisions.get(revId)!;
    rev.visible = { ...visible };
    return this.emit('visibility_change', page, rev);
  }

  /** One random, MediaWiki-plausible action. */
  step(): void {
    const all = [...this.pages.values()];
    const live = all.filter((p) => !p.deleted);
    const r = this.random();
    if (live.length < 3 || r < 0.15) {
      this.create();
    } else if (r < 0.55) {
      const p = this.pick(live);
      const redirect: Redirect =
        this.random() < 0.8
          ? null
          : this.random() < 0.7
            ? { namespace: 0, title: this.pick(live).title }
            : 'interwiki';
      this.edit(p, redirect);
    } else if (r < 0.68) {
      this.move(this.pick(live), this.freshTitle(), this.random() < 0.5);
    } else if (r < 0.76) {
      this.delete(this.pick(live));
    } else if (r < 0.84) {
      const dead = all.filter((p) => p.deleted && !this.titleTaken(p.namespace, p.title));
      if (dead.length > 0) this.undelete(this.pick(dead));
      else this.create();
    } else {
      const p = this.pick(live);
      this.setVisibility(p, this.pick(p.revIds), {
        comment: this.random() < 0.5,
        content: this.random() < 0.7,
        editor: this.random() < 0.6,
      });
    }
  }

  static random(wikiId: string, seed: number, steps: number): WikiHistory {
    const h = new WikiHistory(wikiId, prng(seed));
    while (h.events.length < steps) h.step();
    return h;
  }

  /** The same history as replayed into a store under another wiki id (see withWiki). */
  renamed(wikiId: string): WikiHistory {
    return Object.assign(Object.create(WikiHistory.prototype) as WikiHistory, this, { wikiId });
  }

  // --- the state the history must leave in any store --------------------------

  expectedPage(page: SimPage): PageRecord {
    const target = page.redirect !== 'interwiki' ? page.redirect : null;
    return {
      wikiId: this.wikiId,
      pageId: page.pageId,
      namespace: page.namespace,
      title: page.title,
      isRedirect: page.redirect !== null,
      redirectNamespace: target?.namespace ?? null,
      redirectTitle: target?.title ?? null,
      latestRevId: page.latestRevId,
      isDeleted: page.deleted,
      version: { ...page.version },
    };
  }

  expectedRevision(rev: SimRevision): RevisionRecord {
    // Every revision is first announced visible, so all its facts are known.
    return {
      wikiId: this.wikiId,
      revId: rev.revId,
      pageId: rev.pageId,
      parentRevId: rev.parentRevId,
      timestamp: rev.revDt,
      sizeBytes: rev.size,
      sha1: rev.sha1,
      isMinorEdit: rev.minor,
      comment: rev.comment,
      editorName: rev.editor.user_text ?? null,
      editorId: rev.editor.user_id ?? null,
      isCommentVisible: rev.visible.comment,
      isContentVisible: rev.visible.content,
      isEditorVisible: rev.visible.editor,
      visibilityDtUs: rev.visibilityDtUs,
    };
  }

  expectedSnapshot(): Snapshot {
    const pages = [...this.pages.values()].sort((a, b) => a.pageId - b.pageId);
    const live = pages.filter((p) => !p.deleted);
    return {
      pages: pages.map((p) => this.expectedPage(p)),
      revisions: [...this.revisions.values()]
        .sort((a, b) => a.revId - b.revId)
        .map((r) => this.expectedRevision(r)),
      byTitle: [...this.titles.values()].map(
        (t) => live.find((p) => p.namespace === t.namespace && p.title === t.title)?.pageId ?? null,
      ),
      listed: live.map((p) => p.pageId),
      listedByNamespace: [...new Set(NAMESPACES)].map((ns) =>
        live.filter((p) => p.namespace === ns).map((p) => p.pageId),
      ),
      histories: pages.map((p) => [...p.revIds].reverse()),
    };
  }

  async snapshot(store: PagesStore): Promise<Snapshot> {
    const pageIds = [...this.pages.keys()].sort((a, b) => a - b);
    const byTitle = await store.pagesByTitle(
      [...this.titles.values()].map((t) => ({ wikiId: this.wikiId, ...t })),
    );
    return {
      pages: await store.pagesById(pageIds.map((pageId) => ({ wikiId: this.wikiId, pageId }))),
      revisions: await store.revisionsById(
        [...this.revisions.keys()].sort((a, b) => a - b).map((revId) => ({ wikiId: this.wikiId, revId })),
      ),
      byTitle: byTitle.map((p) => p?.pageId ?? null),
      listed: await walkPages(store, this.wikiId, null),
      listedByNamespace: await Promise.all(
        [...new Set(NAMESPACES)].map((ns) => walkPages(store, this.wikiId, ns)),
      ),
      histories: await Promise.all(pageIds.map((pageId) => walkRevisions(store, this.wikiId, pageId))),
    };
  }
}

interface Snapshot {
  pages: (PageRecord | null)[];
  revisions: (RevisionRecord | null)[];
  byTitle: (number | null)[];
  listed: number[];
  listedByNamespace: number[][];
  histories: number[][];
}

/** Follows the keyset cursor to the end with a small page size, so boundaries are crossed many times. */
async function walkPages(
  store: PagesStore,
  wikiId: string,
  namespace: number | null,
  limit = 7,
): Promise<number[]> {
  const ids: number[] = [];
  for (let afterPageId: number | null = null; ;) {
    const page = await store.listPages({ wikiId, namespace, afterPageId, limit });
    expect(page.length).toBeLessThanOrEqual(limit);
    ids.push(...page.map((p) => p.pageId));
    if (page.length < limit) return ids;
    afterPageId = page[page.length - 1]!.pageId;
  }
}

async function walkRevisions(
  store: PagesStore,
  wikiId: string,
  pageId: number,
  limit = 4,
): Promise<number[]> {
  const ids: number[] = [];
  for (let beforeRevId: number | null = null; ;) {
    const page = await store.listRevisions({ wikiId, pageId, beforeRevId, limit });
    ids.push(...page.map((r) => r.revId));
    if (page.length < limit) return ids;
    beforeRevId = page[page.length - 1]!.revId;
  }
}

function withWiki(changes: readonly PageChange[], wikiId: string): PageChange[] {
  return changes.map((c) => ({
    kind: c.kind,
    page: { ...c.page, wikiId, version: { ...c.page.version } },
    revision: { ...c.revision, wikiId },
  }));
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((head, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [head, ...rest]),
  );
}

// ---------------------------------------------------------------------------

let db: TestDatabase;
let wikiCounter = 0;
/** A wiki id no other test uses, so tests sharing one store stay independent. */
const freshWiki = () => `t${++wikiCounter}wiki`;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

const adapters: { name: string; open: () => Promise<PagesStore> }[] = [
  { name: 'embedded', open: async () => createEmbeddedPagesStore() },
  { name: 'mariadb', open: () => openMariaDbPagesStore(db.url) },
];

describe.each(adapters)('PagesStore contract: $name', ({ open }) => {
  let store: PagesStore;

  beforeAll(async () => {
    store = await open();
  });

  afterAll(async () => {
    await store?.close();
  });

  it('follows a page through create, edit, move, delete and undelete', async () => {
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    const titleKey = (title: string) => ({ wikiId, namespace: 0, title });
    const byId = async () => (await store.pagesById([{ wikiId, pageId: page.pageId }]))[0];

    const page = h.create({ namespace: 0, title: 'Draft' });
    await store.applyChanges(h.changes);
    expect(await byId()).toEqual(h.expectedPage(page));

    await store.applyChanges([h.edit(page)]);
    expect((await byId())?.latestRevId).toBe(page.revIds[1]);

    await store.applyChanges([h.move(page, { namespace: 0, title: 'Final' }, false)]);
    const [atOld, atNew] = await store.pagesByTitle([titleKey('Draft'), titleKey('Final')]);
    expect(atOld).toBeNull();
    expect(atNew).toEqual(h.expectedPage(page));
    // The freed title can be taken by another page.
    const other = h.create({ namespace: 0, title: 'Draft' });
    await store.applyChanges([h.changes.at(-1)!]);
    expect((await store.pagesByTitle([titleKey('Draft')]))[0]?.pageId).toBe(other.pageId);

    await store.applyChanges([h.delete(page)]);
    expect(await store.pagesByTitle([titleKey('Final')])).toEqual([null]);
    expect((await store.listPages({ wikiId, limit: 10 })).map((p) => p.pageId)).toEqual([other.pageId]);
    expect(await byId()).toMatchObject({ ...h.expectedPage(page), isDeleted: true });
    const history = await store.listRevisions({ wikiId, pageId: page.pageId, limit: 10 });
    expect(history.map((r) => r.revId)).toEqual([...page.revIds].reverse());

    await store.applyChanges([h.undelete(page)]);
    expect((await store.pagesByTitle([titleKey('Final')]))[0]).toEqual(h.expectedPage(page));
    expect((await store.listPages({ wikiId, limit: 10 })).map((p) => p.pageId)).toEqual([
      page.pageId,
      other.pageId,
    ]);
    expect(await h.snapshot(store)).toEqual(h.expectedSnapshot());
  });

  it('leaves a redirect page at the old title when a move leaves one', async () => {
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    const page = h.create({ namespace: 0, title: 'Old_name' });
    h.move(page, { namespace: 4, title: 'New_name' }, true);
    await store.applyChanges(h.changes);
    const [atOld, atNew] = await store.pagesByTitle([
      { wikiId, namespace: 0, title: 'Old_name' },
      { wikiId, namespace: 4, title: 'New_name' },
    ]);
    expect(atNew?.pageId).toBe(page.pageId);
    expect(atOld).toMatchObject({ isRedirect: true, redirectNamespace: 4, redirectTitle: 'New_name' });
    expect(atOld?.pageId).not.toBe(page.pageId);
  });

  it('resolves a title held by two live rows, while a move is still in flight, to the newest', async () => {
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    const moved = h.create({ namespace: 0, title: 'Contested' });
    const move = h.move(moved, { namespace: 0, title: 'Elsewhere' }, false);
    const successor = h.create({ namespace: 0, title: 'Contested' });
    const [create, , recreate] = h.changes;
    const at = (title: string) => ({ wikiId, namespace: 0, title });

    // Applied in both orders, so neither insertion order nor index order can pick the winner by luck.
    await store.applyChanges([create!]);
    await store.applyChanges([recreate!]);
    expect((await store.pagesByTitle([at('Contested')]))[0]?.pageId).toBe(successor.pageId);
    const other = freshWiki();
    await store.applyChanges(withWiki([recreate!, create!], other));
    expect((await store.pagesByTitle([{ ...at('Contested'), wikiId: other }]))[0]?.pageId).toBe(
      successor.pageId,
    );
    await store.applyChanges([move]);
    const [contested, elsewhere] = await store.pagesByTitle([at('Contested'), at('Elsewhere')]);
    expect(contested?.pageId).toBe(successor.pageId);
    expect(elsewhere?.pageId).toBe(moved.pageId);
  });

  it('hides and unhides revision facts by visibility_change, keeping the stored values', async () => {
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    const page = h.create({ namespace: 0, title: 'Revdel' });
    const first = page.revIds[0]!;
    h.edit(page);
    await store.applyChanges(h.changes);

    const hide = h.setVisibility(page, first, { comment: false, content: true, editor: false });
    expect(hide.revision.comment).toBeNull();
    await store.applyChanges([hide]);
    const [hidden] = await store.revisionsById([{ wikiId, revId: first }]);
    expect(hidden).toMatchObject({ isCommentVisible: false, isEditorVisible: false, isContentVisible: true });
    expect(hidden?.comment).toBe(h.revisions.get(first)!.comment);
    expect(hidden?.editorName).toBe(h.revisions.get(first)!.editor.user_text);
    // Suppressing an old revision does not make it the latest one.
    const [p] = await store.pagesById([{ wikiId, pageId: page.pageId }]);
    expect(p?.latestRevId).toBe(page.revIds[1]);

    await store.applyChanges([h.setVisibility(page, first, { comment: true, content: true, editor: true })]);
    expect(await h.snapshot(store)).toEqual(h.expectedSnapshot());

    // A stale hide delivered again after the unhide changes nothing.
    await store.applyChanges([hide]);
    expect(await h.snapshot(store)).toEqual(h.expectedSnapshot());
  });

  it('treats titles as exact strings: case, accents, 4-byte characters, trailing space, 255 bytes', async () => {
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    for (const title of AWKWARD_TITLES) h.create({ namespace: 0, title });
    await store.applyChanges(h.changes);
    const found = await store.pagesByTitle(AWKWARD_TITLES.map((title) => ({ wikiId, namespace: 0, title })));
    expect(found.map((p) => p?.title)).toEqual(AWKWARD_TITLES);
    expect(await store.pagesByTitle([{ wikiId, namespace: 0, title: 'FOO_BAR' }])).toEqual([null]);
    expect(await store.pagesByTitle([{ wikiId, namespace: 1, title: 'Foo_bar' }])).toEqual([null]);
    expect(
      await store.pagesByTitle([{ wikiId: wikiId.toUpperCase(), namespace: 0, title: 'Foo_bar' }]),
    ).toEqual([null]);
  });

  it('applies duplicate deliveries as no-ops', async () => {
    const h = WikiHistory.random(freshWiki(), 11, 150);
    await store.applyChanges(h.changes);
    const once = await h.snapshot(store);
    expect(once).toEqual(h.expectedSnapshot());
    await store.applyChanges(h.changes);
    await store.applyChanges(shuffled(h.changes, prng(3)).slice(0, 60));
    expect(await h.snapshot(store)).toEqual(once);
  });

  it("reaches the same state from every permutation of a page's history, in one batch and across batches", async () => {
    const h = new WikiHistory('perm');
    const page = h.create({ namespace: 0, title: 'Draft' });
    h.edit(page);
    h.setVisibility(page, page.revIds[0]!, { comment: false, content: false, editor: true });
    h.move(page, { namespace: 1, title: 'Final' }, false);
    h.delete(page);
    h.undelete(page);
    const history = h.changes;
    const orders = permutations(history);
    expect(orders).toHaveLength(720);
    const prefix = freshWiki();
    const wikiOf = (i: number, mode: string) => `${prefix}_${mode}${i}`;
    const expectedPage = h.expectedPage(page);
    const expectedRevisions = [...h.revisions.values()].map((r) => h.expectedRevision(r));

    // Every permutation, each under its own wiki, in one call: many keys folding
    // within one statement (and, in MariaDB, across chunk boundaries).
    await store.applyChanges(orders.flatMap((order, i) => withWiki(order, wikiOf(i, 'one'))));
    // The same permutations cut at varying points into three calls, call k
    // carrying segment k of every permutation.
    const cuts = orders.map((_, i) => [i % 7, 1 + (i % 5)].sort((a, b) => a - b) as [number, number]);
    for (let k = 0; k < 3; k++) {
      await store.applyChanges(
        orders.flatMap((order, i) => {
          const [a, b] = cuts[i]!;
          const segment = k === 0 ? order.slice(0, a) : k === 1 ? order.slice(a, b) : order.slice(b);
          return withWiki(segment, wikiOf(i, 'split'));
        }),
      );
    }

    for (const mode of ['one', 'split']) {
      const pages = await store.pagesById(
        orders.map((_, i) => ({ wikiId: wikiOf(i, mode), pageId: page.pageId })),
      );
      expect(pages).toEqual(orders.map((_, i) => ({ ...expectedPage, wikiId: wikiOf(i, mode) })));
      const revisions = await store.revisionsById(
        orders.flatMap((_, i) => expectedRevisions.map((r) => ({ wikiId: wikiOf(i, mode), revId: r.revId }))),
      );
      expect(revisions).toEqual(
        orders.flatMap((_, i) => expectedRevisions.map((r) => ({ ...r, wikiId: wikiOf(i, mode) }))),
      );
    }
  });

  it('reaches the same state from shuffled, duplicated histories in one batch and in many', async () => {
    const h = WikiHistory.random('shuffle', 2024, 400);
    const history = h.changes;

    const inOrder = freshWiki();
    await store.applyChanges(withWiki(history, inOrder));
    const oneByOne = freshWiki();
    for (const change of withWiki(history, oneByOne)) await store.applyChanges([change]);

    const runs: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const random = prng(seed);
      const redelivered = [...history, ...shuffled(history, random).slice(0, 120)];
      const wikiOne = freshWiki();
      await store.applyChanges(withWiki(shuffled(redelivered, random), wikiOne));
      const wikiMany = freshWiki();
      for (const batch of batches(withWiki(shuffled(redelivered, random), wikiMany), random, 40)) {
        await store.applyChanges(batch);
      }
      runs.push(wikiOne, wikiMany);
    }

    for (const wikiId of [inOrder, oneByOne, ...runs]) {
      const replay = h.renamed(wikiId);
      expect({ wikiId, state: await replay.snapshot(store) }).toEqual({
        wikiId,
        state: replay.expectedSnapshot(),
      });
    }
  });

  it('folds order-sensitive changes within a batch exactly as applied one by one (state.ts as the oracle)', async () => {
    // Real histories are order-free; only ties and conflicting facts reveal the
    // order of application, so these are built directly as PageChange.
    const base = new WikiHistory('x');
    base.create({ namespace: 0, title: 'Tie' });
    const seed = base.changes[0]!;
    const change = (page: Partial<PageRecord>, revision: Partial<RevisionRecord>): PageChange => ({
      kind: 'edit',
      page: { ...seed.page, ...page, version: { ...seed.page.version, ...page.version } },
      revision: { ...seed.revision, ...revision },
    });
    const dt = seed.page.version.dtUs;
    const scenarios: Record<string, PageChange[]> = {
      'identical versions: the later applied wins (log order of one page)': [
        change({ title: 'First', version: { dtUs: dt + 5, revId: 3 } }, {}),
        change({ title: 'Second', isDeleted: true, version: { dtUs: dt + 5, revId: 3 } }, {}),
      ],
      'same instant: the higher revision id wins': [
        change({ title: 'Higher', latestRevId: 9, version: { dtUs: dt + 5, revId: 9 } }, {}),
        change({ title: 'Lower', latestRevId: 8, version: { dtUs: dt + 5, revId: 8 } }, {}),
      ],
      'one microsecond apart: the later wins over a higher revision id': [
        change({ title: 'Later', latestRevId: 4, version: { dtUs: dt + 6, revId: 4 } }, {}),
        change({ title: 'Earlier', latestRevId: 5, version: { dtUs: dt + 5, revId: 5 } }, {}),
      ],
      'conflicting revision facts: immutable ones keep the first, comment and editor the newest': [
        change(
          {},
          { comment: 'one', editorName: 'A', editorId: 1, sha1: 'a', sizeBytes: 1, parentRevId: 11 },
        ),
        change(
          {},
          { comment: 'two', editorName: 'B', editorId: 2, sha1: 'b', sizeBytes: 2, parentRevId: 12 },
        ),
      ],
      'unknown facts are filled by the first event that knows them': [
        change(
          {},
          { comment: null, editorName: null, editorId: null, sha1: null, sizeBytes: null, parentRevId: null },
        ),
        change({}, { comment: 'later', editorId: 5, sizeBytes: 0 }),
      ],
      'visibility flags of equal instants: the later applied wins': [
        change({}, { isCommentVisible: false, isEditorVisible: true, visibilityDtUs: dt + 7 }),
        change(
          {},
          { isCommentVisible: true, isEditorVisible: false, isContentVisible: false, visibilityDtUs: dt + 7 },
        ),
      ],
    };
    for (const [name, changes] of Object.entries(scenarios)) {
      for (const order of [changes, [...changes].reverse(), [...changes, ...changes].reverse()]) {
        let page: PageRecord | undefined;
        let revision: RevisionRecord | undefined;
        for (const c of order) {
          page = mergePage(page, c.page);
          revision = mergeRevision(revision, c.revision);
        }
        const oneBatch = freshWiki();
        await store.applyChanges(withWiki(order, oneBatch));
        const oneByOne = freshWiki();
        for (const c of withWiki(order, oneByOne)) await store.applyChanges([c]);
        for (const wikiId of [oneBatch, oneByOne]) {
          const state = {
            page: (await store.pagesById([{ wikiId, pageId: seed.page.pageId }]))[0],
            revision: (await store.revisionsById([{ wikiId, revId: seed.revision.revId }]))[0],
          };
          expect({ name, state }).toEqual({
            name,
            state: { page: { ...page!, wikiId }, revision: { ...revision!, wikiId } },
          });
        }
      }
    }
  });

  it('folds many changes for one page and one revision within a single batch', async () => {
    const h = new WikiHistory(freshWiki(), prng(5));
    const page = h.create({ namespace: 0, title: 'Busy' });
    const first = page.revIds[0]!;
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0)
        h.setVisibility(page, first, { comment: i % 2 === 0, content: i % 5 !== 0, editor: i % 7 !== 0 });
      else if (i % 50 === 0) h.move(page, { namespace: 0, title: `Busy_${i}` }, false);
      else h.edit(page);
    }
    await store.applyChanges(shuffled(h.changes, prng(6)));
    expect(await h.snapshot(store)).toEqual(h.expectedSnapshot());
  });

  it(`applies a 5,000-change batch (more than ${UPSERT_CHUNK_ROWS} rows per statement)`, async () => {
    const h = WikiHistory.random(freshWiki(), 77, 5000);
    await store.applyChanges(h.changes);
    expect(await h.snapshot(store)).toEqual(h.expectedSnapshot());
  });

  it('pages through live pages by id, optionally by namespace, and through histories by revision', async () => {
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    const pages = Array.from({ length: 12 }, (_, i) =>
      h.create({ namespace: i % 3 === 0 ? 1 : 0, title: `P${i}` }),
    );
    h.delete(pages[4]!);
    h.delete(pages[9]!);
    for (let i = 0; i < 6; i++) h.edit(pages[0]!);
    await store.applyChanges(h.changes);
    const ids = (xs: PageRecord[]) => xs.map((p) => p.pageId);
    const live = pages.filter((p) => !p.deleted).map((p) => p.pageId);

    expect(ids(await store.listPages({ wikiId, limit: 5 }))).toEqual(live.slice(0, 5));
    expect(ids(await store.listPages({ wikiId, afterPageId: live[4]!, limit: 5 }))).toEqual(
      live.slice(5, 10),
    );
    // Deleted ids are skipped, and a cursor on a deleted id still works.
    expect(ids(await store.listPages({ wikiId, afterPageId: pages[4]!.pageId, limit: 2 }))).toEqual([
      pages[5]!.pageId,
      pages[6]!.pageId,
    ]);
    expect(ids(await store.listPages({ wikiId, afterPageId: live.at(-1)!, limit: 5 }))).toEqual([]);
    expect(ids(await store.listPages({ wikiId, afterPageId: 0, limit: 100 }))).toEqual(live);
    expect(await store.listPages({ wikiId, limit: 0 })).toEqual([]);
    expect(await store.listPages({ wikiId: 'nowiki', limit: 5 })).toEqual([]);

    const talk = pages.filter((p) => p.namespace === 1 && !p.deleted).map((p) => p.pageId);
    expect(ids(await store.listPages({ wikiId, namespace: 1, limit: 2 }))).toEqual(talk.slice(0, 2));
    expect(ids(await store.listPages({ wikiId, namespace: 1, afterPageId: talk[1]!, limit: 10 }))).toEqual(
      talk.slice(2),
    );
    expect(await store.listPages({ wikiId, namespace: 2, limit: 10 })).toEqual([]);
    expect(await walkPages(store, wikiId, null, 1)).toEqual(live);

    const revs = [...pages[0]!.revIds].reverse();
    const revIds = (xs: RevisionRecord[]) => xs.map((r) => r.revId);
    expect(revIds(await store.listRevisions({ wikiId, pageId: pages[0]!.pageId, limit: 3 }))).toEqual(
      revs.slice(0, 3),
    );
    expect(
      revIds(
        await store.listRevisions({ wikiId, pageId: pages[0]!.pageId, beforeRevId: revs[2]!, limit: 3 }),
      ),
    ).toEqual(revs.slice(3, 6));
    expect(
      revIds(
        await store.listRevisions({ wikiId, pageId: pages[0]!.pageId, beforeRevId: revs.at(-1)!, limit: 3 }),
      ),
    ).toEqual([]);
    // A deleted page keeps its history.
    expect(revIds(await store.listRevisions({ wikiId, pageId: pages[4]!.pageId, limit: 3 }))).toEqual(
      pages[4]!.revIds,
    );
    expect(await store.listRevisions({ wikiId, pageId: 999_999, limit: 3 })).toEqual([]);
    expect(await store.listRevisions({ wikiId, pageId: pages[0]!.pageId, limit: 0 })).toEqual([]);

    await expect(store.listPages({ wikiId, limit: -1 })).rejects.toThrow(RangeError);
    await expect(store.listRevisions({ wikiId, pageId: 1, limit: 1.5 })).rejects.toThrow(RangeError);
  });

  it('answers keyed reads positionally, with duplicates and misses, as copies', async () => {
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    const a = h.create({ namespace: 0, title: 'A' });
    const b = h.create({ namespace: 0, title: 'B' });
    await store.applyChanges(h.changes);
    const A = h.expectedPage(a);
    const B = h.expectedPage(b);

    const pages = await store.pagesById([
      { wikiId, pageId: b.pageId },
      { wikiId, pageId: 404 },
      { wikiId, pageId: a.pageId },
      { wikiId, pageId: b.pageId },
      { wikiId: 'otherwiki', pageId: a.pageId },
    ]);
    expect(pages).toEqual([B, null, A, B, null]);
    expect(pages[0]).not.toBe(pages[3]);

    const byTitle = await store.pagesByTitle([
      { wikiId, namespace: 0, title: 'B' },
      { wikiId, namespace: 0, title: 'B' },
      { wikiId, namespace: 0, title: 'Nope' },
      { wikiId, namespace: 0, title: 'A' },
    ]);
    expect(byTitle).toEqual([B, B, null, A]);

    const revs = await store.revisionsById([
      { wikiId, revId: b.latestRevId },
      { wikiId, revId: 12345 },
      { wikiId, revId: a.latestRevId },
      { wikiId, revId: b.latestRevId },
    ]);
    expect(revs.map((r) => r?.revId ?? null)).toEqual([b.latestRevId, null, a.latestRevId, b.latestRevId]);

    expect(await store.pagesById([])).toEqual([]);
    expect(await store.pagesByTitle([])).toEqual([]);
    expect(await store.revisionsById([])).toEqual([]);
    await store.applyChanges([]);

    // Mutating what a read returned must not reach the store.
    pages[0]!.title = 'Mutated';
    pages[0]!.version.dtUs = 0;
    revs[0]!.comment = 'mutated';
    expect((await store.pagesById([{ wikiId, pageId: b.pageId }]))[0]).toEqual(B);
    expect((await store.revisionsById([{ wikiId, revId: b.latestRevId }]))[0]?.comment).toBe(
      h.revisions.get(b.latestRevId)!.comment,
    );
  });

  it('does not keep references to the changes it was given', async () => {
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    const page = h.create({ namespace: 0, title: 'Mine' });
    const changes = h.changes;
    await store.applyChanges(changes);
    changes[0]!.page.title = 'Changed_after';
    changes[0]!.page.version.dtUs += 1e9;
    changes[0]!.revision.comment = 'changed after';
    expect(await h.snapshot(store)).toEqual(h.expectedSnapshot());
    expect(page.title).toBe('Mine');
  });
});

// ---------------------------------------------------------------------------
// What only a server can get wrong

describe('MariaDB adapter', () => {
  let pool: Pool;

  beforeAll(async () => {
    pool = await openMariaDbPool(db.url, { connectionLimit: 4 });
  });

  afterAll(async () => {
    await pool?.end();
  });

  it('writes a batch atomically: a failure in its last statement leaves nothing of it', async () => {
    const store = await openMariaDbPagesStore(pool);
    const wikiId = freshWiki();
    const h = new WikiHistory(wikiId);
    const existing = h.create({ namespace: 0, title: 'Before' });
    await store.applyChanges(h.changes);
    const [before] = await store.pagesById([{ wikiId, pageId: existing.pageId }]);

    const applied = h.events.length;
    h.edit(existing);
    while (h.events.length < applied + 2 * UPSERT_CHUNK_ROWS + 100) h.create();
    const changes = h.changes.slice(applied);
    // The highest revision id sorts last: the failing row is in the last revisions
    // statement, after every pages statement and a whole revisions chunk succeeded.
    const last = changes.reduce((a, c) => (c.revision.revId > a.revision.revId ? c : a));
    const sha1 = last.revision.sha1;
    last.revision.sha1 = 'x'.repeat(65);

    await expect(store.applyChanges(changes)).rejects.toThrow(/too long.*sha1/i);
    expect(await store.pagesById([{ wikiId, pageId: existing.pageId }])).toEqual([before]);
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT (SELECT COUNT(*) FROM pages_page WHERE wiki_id = ?) AS pages, ' +
        '(SELECT COUNT(*) FROM pages_revision WHERE wiki_id = ?) AS revisions',
      [wikiId, wikiId],
    );
    expect(rows[0]).toEqual({ pages: 1, revisions: 1 });

    // The same batch, repaired, goes through: a failed batch can be retried whole.
    last.revision.sha1 = sha1;
    await store.applyChanges(changes);
    expect(await h.snapshot(store)).toEqual(h.expectedSnapshot());
    await store.close();
    // The store did not own the pool, so closing it left the pool usable.
    await expect(pool.query('SELECT 1')).resolves.toBeDefined();
  });

  it('records each migration once, also when several processes start together', async () => {
    const slow: Migration[] = [
      // The sleep widens the window in which an unserialised second process
      // would also see the migration as pending.
      {
        version: 1,
        name: 'probe table',
        up: ['DO SLEEP(0.3)', 'CREATE TABLE IF NOT EXISTS probe_t (id INT PRIMARY KEY)'],
      },
      { version: 2, name: 'probe column', up: ['ALTER TABLE probe_t ADD COLUMN IF NOT EXISTS v INT'] },
    ];
    const other = await openMariaDbPool(db.url, { connectionLimit: 1 });
    try {
      const results = await Promise.all([migrate(pool, 'probe', slow), migrate(other, 'probe', slow)]);
      expect(results.map((r) => r.join(',')).sort()).toEqual(['', '1,2']);
    } finally {
      await other.end();
    }
    expect(await migrate(pool, 'probe', slow)).toEqual([]);
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT version, name FROM sdp_schema_migrations WHERE product = 'probe' ORDER BY version",
    );
    expect(rows.map((r) => [r.version, r.name])).toEqual([
      [1, 'probe table'],
      [2, 'probe column'],
    ]);

    const edited = [slow[0]!, { ...slow[1]!, name: 'renamed' }];
    await expect(migrate(pool, 'probe', edited)).rejects.toThrow(/applied as "probe column".*"renamed"/);
    await expect(migrate(pool, 'probe', [slow[1]!, slow[0]!])).rejects.toThrow(/increasing/);
    await expect(
      migrate(pool, 'probe', [
        ...slow,
        { version: 3, name: 'broken', up: ['ALTER TABLE nowhere ADD x INT'] },
      ]),
    ).rejects.toThrow(/probe migration 3 \(broken\) failed at statement 1\/1/);
    // A failed migration is not recorded, so the next start tries it again.
    const [after] = await pool.query<RowDataPacket[]>(
      "SELECT MAX(version) AS v FROM sdp_schema_migrations WHERE product = 'probe'",
    );
    expect(after[0]?.v).toBe(2);
  });

  it('retries a transaction that InnoDB chose as a deadlock victim', async () => {
    await pool.query('CREATE TABLE deadlock_t (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB');
    await pool.query('INSERT INTO deadlock_t SELECT seq, 0 FROM seq_1_to_200');
    const rival = await pool.getConnection();
    try {
      // The rival has changed many rows, so InnoDB rolls back the lighter transaction: ours.
      await rival.beginTransaction();
      await rival.query('UPDATE deadlock_t SET v = v + 1 WHERE id >= 2');
      let attempts = 0;
      let rivalDone: Promise<unknown> | undefined;
      await withTransaction(pool, async (conn) => {
        attempts++;
        if (attempts === 1) {
          await conn.query('UPDATE deadlock_t SET v = v + 1 WHERE id = 1');
          // The rival now waits for row 1 (ours) while we wait for row 2 (its).
          rivalDone = rival.query('UPDATE deadlock_t SET v = v + 1 WHERE id = 1').then(() => rival.commit());
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        await conn.query('UPDATE deadlock_t SET v = v + 1 WHERE id IN (1, 2)');
      });
      await rivalDone;
      expect(attempts).toBe(2);
    } finally {
      rival.release();
    }
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT id, v FROM deadlock_t WHERE id <= 3 ORDER BY id',
    );
    expect(rows.map((r) => [r.id, r.v])).toEqual([
      [1, 2],
      [2, 2],
      [3, 1],
    ]);
  });

  it('fails to open with the URL, minus its password, and the cause', async () => {
    const attempt = openMariaDbPool('mysql://root:s3cret@127.0.0.1:1/test');
    await expect(attempt).rejects.toThrow(
      /cannot reach MariaDB at mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/test \(SDP_MARIADB_URL\) within 0 s: .*ECONNREFUSED/,
    );
    await expect(attempt).rejects.not.toThrow(/s3cret/);
    await expect(openMariaDbPagesStore('mysql://root@127.0.0.1:3306/')).rejects.toThrow(
      /must name one database/,
    );
    await expect(openMariaDbPool('mysql://root@127.0.0.1:3306/test?ssl=true')).rejects.toThrow(
      /not supported/,
    );
    expect(parseMariaDbUrl('mariadb://r%40ot:p%2Fss@[::1]/d%2Db')).toEqual({
      host: '::1',
      port: 3306,
      user: 'r@ot',
      password: 'p/ss',
      database: 'd-b',
    });
  });

  it('describes itself and is durable', async () => {
    const store = await openMariaDbPagesStore(db.url);
    try {
      expect(store.description).toBe(`mariadb 127.0.0.1:3306/${new URL(db.url).pathname.slice(1)}`);
      expect(store.durable).toBe(true);
      // Every pooled session is strict and UTC whatever the server's defaults.
      const [rows] = await pool.query<RowDataPacket[]>(
        'SELECT @@SESSION.sql_mode AS mode, @@SESSION.time_zone AS tz',
      );
      expect(rows[0]?.mode).toMatch(/STRICT_ALL_TABLES/);
      expect(rows[0]?.tz).toBe('+00:00');
    } finally {
      await store.close();
    }
    expect(createEmbeddedPagesStore().durable).toBe(false);
  });
});
