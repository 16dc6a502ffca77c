/**
 * How page_change events fold into state. These rules are the product's
 * correctness: both store adapters implement exactly them (the embedded one by
 * calling these functions, the MariaDB one in its upsert statements), and the
 * store contract suite checks both against the same histories.
 *
 * Events arrive at least once and, after a replay or a producer retry, out of
 * order. So every rule is idempotent (applying an event twice changes nothing)
 * and commutative over versions (applying an older event after a newer one
 * changes nothing). Equal versions are the one place where order decides: the
 * later-applied event wins. Every event of a page is keyed to one partition, so
 * "later applied" is the order MediaWiki emitted them; that is what makes a
 * delete and an undelete of the same revision within one timestamp come out
 * right (MediaWiki timestamps have one-second precision).
 *
 * Page row
 *  - namespace, title, redirect and isDeleted follow the event with the highest
 *    version (dt, then revId; ties: the later applied). A delete is such a
 *    state: the row stays as a tombstone; an undelete or any later event brings
 *    it back.
 *  - latestRevId is the highest revision id of any non-visibility event. Revision
 *    ids only grow in MediaWiki, so max() is order-free. A visibility_change names
 *    an arbitrary (often old) revision and never moves latestRevId.
 *
 * Revision row
 *  - page, timestamp and minor flag never change in MediaWiki: they come from the
 *    first event that carried the revision; so do parent, size and sha1, which
 *    are filled by the first event that knows them (events omit what is hidden
 *    at the time, and omission is not erasure);
 *  - comment and editor can change after the fact (a user rename renames every
 *    revision's editor), so the newest event (by dt) that knows them wins, and
 *    an older event can only fill a gap;
 *  - the three visibility flags follow the newest event (dt) that mentions the
 *    revision.
 */
import type { PageRecord, RevisionRecord, StateVersion } from './model';

export function compareVersions(a: StateVersion, b: StateVersion): number {
  return a.dtUs - b.dtUs || a.revId - b.revId;
}

function maxRevId(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** The page row after `incoming` is applied to `existing` (undefined: no row yet). */
export function mergePage(existing: PageRecord | undefined, incoming: PageRecord): PageRecord {
  if (!existing) return { ...incoming, version: { ...incoming.version } };
  const base = compareVersions(incoming.version, existing.version) >= 0 ? incoming : existing;
  return {
    wikiId: existing.wikiId,
    pageId: existing.pageId,
    namespace: base.namespace,
    title: base.title,
    isRedirect: base.isRedirect,
    redirectNamespace: base.redirectNamespace,
    redirectTitle: base.redirectTitle,
    isDeleted: base.isDeleted,
    version: { ...base.version },
    latestRevId: maxRevId(existing.latestRevId, incoming.latestRevId),
  };
}

/** The revision row after `incoming` is applied to `existing` (undefined: no row yet). */
export function mergeRevision(
  existing: RevisionRecord | undefined,
  incoming: RevisionRecord,
): RevisionRecord {
  if (!existing) return { ...incoming };
  const newer = incoming.visibilityDtUs >= existing.visibilityDtUs;
  const [flags, other] = newer ? [incoming, existing] : [existing, incoming];
  return {
    ...existing,
    parentRevId: existing.parentRevId ?? incoming.parentRevId,
    sizeBytes: existing.sizeBytes ?? incoming.sizeBytes,
    sha1: existing.sha1 ?? incoming.sha1,
    comment: flags.comment ?? other.comment,
    editorName: flags.editorName ?? other.editorName,
    editorId: flags.editorId ?? other.editorId,
    isCommentVisible: flags.isCommentVisible,
    isContentVisible: flags.isContentVisible,
    isEditorVisible: flags.isEditorVisible,
    visibilityDtUs: flags.visibilityDtUs,
  };
}

/**
 * Which of two live pages holds a title they both claim. Real history never has
 * two; out-of-order delivery can, briefly (a move away not yet applied). The
 * newer state wins, then, arbitrarily but the same in every store, the higher id.
 */
export function holdsTitleOver(a: PageRecord, b: PageRecord): boolean {
  return (compareVersions(a.version, b.version) || a.pageId - b.pageId) > 0;
}
