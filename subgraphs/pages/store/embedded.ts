/**
 * `PagesStore` in process memory, for running without a database server. State
 * dies with the process (`durable: false`), so the platform replays the stream.
 * The rules are `state.ts` itself; this file only keeps the indexes the queries
 * need consistent with the rows.
 */
import type { PageChange, PageRecord, RevisionRecord } from '../model';
import { holdsTitleOver, mergePage, mergeRevision } from '../state';
import { checkListLimit, type PagesStore } from './port';

/** Index of the first element of ascending `ids` not less than `id`. */
function lowerBound(ids: readonly number[], id: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Ids mostly arrive ascending (MediaWiki allocates them so), making this an append.
function insertSorted(ids: number[], id: number): void {
  const at = lowerBound(ids, id);
  if (ids[at] !== id) ids.splice(at, 0, id);
}

function removeSorted(ids: number[], id: number): void {
  const at = lowerBound(ids, id);
  if (ids[at] === id) ids.splice(at, 1);
}

function titleKey(namespace: number, title: string): string {
  return `${namespace}\u0000${title}`;
}

function copyPage(p: PageRecord): PageRecord {
  return { ...p, version: { ...p.version } };
}

function copyRevision(r: RevisionRecord): RevisionRecord {
  return { ...r };
}

class Wiki {
  readonly pages = new Map<number, PageRecord>();
  /** Every page id (tombstones too), ascending. */
  readonly pageIds: number[] = [];
  readonly pageIdsByNamespace = new Map<number, number[]>();
  /** Current (namespace, title) → ids of the pages holding it, deleted or not. */
  readonly pageIdsByTitle = new Map<string, Set<number>>();
  readonly revisions = new Map<number, RevisionRecord>();
  /** Page id → its revision ids, ascending. A revision's page never changes. */
  readonly revIdsByPage = new Map<number, number[]>();

  putPage(next: PageRecord): void {
    const prev = this.pages.get(next.pageId);
    this.pages.set(next.pageId, next);
    if (!prev) insertSorted(this.pageIds, next.pageId);
    if (prev?.namespace !== next.namespace) {
      if (prev) removeSorted(this.pageIdsByNamespace.get(prev.namespace)!, prev.pageId);
      let ids = this.pageIdsByNamespace.get(next.namespace);
      if (!ids) this.pageIdsByNamespace.set(next.namespace, (ids = []));
      insertSorted(ids, next.pageId);
    }
    if (prev?.namespace !== next.namespace || prev?.title !== next.title) {
      if (prev) {
        const key = titleKey(prev.namespace, prev.title);
        const holders = this.pageIdsByTitle.get(key)!;
        holders.delete(prev.pageId);
        if (holders.size === 0) this.pageIdsByTitle.delete(key);
      }
      const key = titleKey(next.namespace, next.title);
      let holders = this.pageIdsByTitle.get(key);
      if (!holders) this.pageIdsByTitle.set(key, (holders = new Set()));
      holders.add(next.pageId);
    }
  }

  putRevision(next: RevisionRecord): void {
    if (!this.revisions.has(next.revId)) {
      let ids = this.revIdsByPage.get(next.pageId);
      if (!ids) this.revIdsByPage.set(next.pageId, (ids = []));
      insertSorted(ids, next.revId);
    }
    this.revisions.set(next.revId, next);
  }
}

export function createEmbeddedPagesStore(): PagesStore {
  const wikis = new Map<string, Wiki>();

  function wiki(wikiId: string): Wiki {
    let w = wikis.get(wikiId);
    if (!w) wikis.set(wikiId, (w = new Wiki()));
    return w;
  }

  return {
    description: 'embedded (in-process memory, not durable)',
    durable: false,

    async applyChanges(changes: readonly PageChange[]) {
      // Folded into a staging area first and published only when the whole batch
      // has folded, so a batch that throws leaves the store as it was. Staging
      // also updates each key's indexes once, however many changes it had.
      const pages = new Map<string, Map<number, PageRecord>>();
      const revisions = new Map<string, Map<number, RevisionRecord>>();
      for (const { page, revision } of changes) {
        let staged = pages.get(page.wikiId);
        if (!staged) pages.set(page.wikiId, (staged = new Map()));
        staged.set(
          page.pageId,
          mergePage(staged.get(page.pageId) ?? wikis.get(page.wikiId)?.pages.get(page.pageId), page),
        );
        let stagedRevs = revisions.get(revision.wikiId);
        if (!stagedRevs) revisions.set(revision.wikiId, (stagedRevs = new Map()));
        stagedRevs.set(
          revision.revId,
          mergeRevision(
            stagedRevs.get(revision.revId) ?? wikis.get(revision.wikiId)?.revisions.get(revision.revId),
            revision,
          ),
        );
      }
      for (const [wikiId, staged] of pages) for (const p of staged.values()) wiki(wikiId).putPage(p);
      for (const [wikiId, staged] of revisions) for (const r of staged.values()) wiki(wikiId).putRevision(r);
    },

    async pagesById(keys) {
      return keys.map((k) => {
        const p = wikis.get(k.wikiId)?.pages.get(k.pageId);
        return p ? copyPage(p) : null;
      });
    },

    async pagesByTitle(keys) {
      return keys.map((k) => {
        const w = wikis.get(k.wikiId);
        let best: PageRecord | undefined;
        for (const id of w?.pageIdsByTitle.get(titleKey(k.namespace, k.title)) ?? []) {
          const p = w!.pages.get(id)!;
          if (!p.isDeleted && (!best || holdsTitleOver(p, best))) best = p;
        }
        return best ? copyPage(best) : null;
      });
    },

    async revisionsById(keys) {
      return keys.map((k) => {
        const r = wikis.get(k.wikiId)?.revisions.get(k.revId);
        return r ? copyRevision(r) : null;
      });
    },

    async listPages(query) {
      checkListLimit(query.limit);
      const w = wikis.get(query.wikiId);
      const ids = query.namespace != null ? w?.pageIdsByNamespace.get(query.namespace) : w?.pageIds;
      const out: PageRecord[] = [];
      if (!w || !ids) return out;
      for (
        let i = query.afterPageId != null ? lowerBound(ids, query.afterPageId + 1) : 0;
        i < ids.length;
        i++
      ) {
        if (out.length >= query.limit) break;
        const p = w.pages.get(ids[i]!)!;
        if (!p.isDeleted) out.push(copyPage(p));
      }
      return out;
    },

    async listRevisions(query) {
      checkListLimit(query.limit);
      const w = wikis.get(query.wikiId);
      const ids = w?.revIdsByPage.get(query.pageId);
      const out: RevisionRecord[] = [];
      if (!w || !ids) return out;
      for (
        let i = (query.beforeRevId != null ? lowerBound(ids, query.beforeRevId) : ids.length) - 1;
        i >= 0;
        i--
      ) {
        if (out.length >= query.limit) break;
        out.push(copyRevision(w.revisions.get(ids[i]!)!));
      }
      return out;
    },

    async close() {
      wikis.clear();
    },
  };
}
