/**
 * The merge rules (state.ts) and event normalisation (events.ts) on their own,
 * without a store: the contract suite then checks that both adapters follow them.
 */
import { toPageChange } from '../../subgraphs/pages/events';
import { isoToMicros, normaliseIso, type PageChangeEvent } from '../../streams/contracts/page-change';
import type { PageRecord, RevisionRecord } from '../../subgraphs/pages/model';
import type { PageChangeKind } from '../../streams/contracts/page-change';
import { compareVersions, mergePage, mergeRevision } from '../../subgraphs/pages/state';

interface Spec {
  kind: PageChangeKind;
  dt: string;
  revId: number;
  pageId?: number;
  title?: string;
  namespace?: number;
  parentRevId?: number;
  comment?: string;
  editor?: { user_text: string; user_id?: number };
  visible?: { comment?: boolean; content?: boolean; editor?: boolean };
  redirect?: { page_title: string; namespace_id?: number; interwiki_prefix?: string };
}

/** A schema-shaped event; hidden facts are omitted, as MediaWiki omits them. */
function event(s: Spec): PageChangeEvent {
  const vis = { comment: true, content: true, editor: true, ...s.visible };
  return {
    $schema: '/mediawiki/page/change/1.2.0',
    meta: { stream: 'mediawiki.page_change.v1', dt: s.dt },
    dt: s.dt,
    wiki_id: 'testwiki',
    changelog_kind:
      s.kind === 'create' || s.kind === 'undelete' ? 'insert' : s.kind === 'delete' ? 'delete' : 'update',
    page_change_kind: s.kind,
    page: {
      page_id: s.pageId ?? 7,
      page_title: s.title ?? 'Main_Page',
      namespace_id: s.namespace ?? 0,
      is_redirect: s.redirect !== undefined,
      ...(s.redirect ? { redirect_page_link: s.redirect } : {}),
    },
    revision: {
      rev_id: s.revId,
      rev_dt: '2024-03-01T12:00:00.250Z',
      ...(s.parentRevId !== undefined ? { rev_parent_id: s.parentRevId } : {}),
      ...(vis.content ? { rev_sha1: `sha-${s.revId}`, rev_size: 1000 + s.revId } : {}),
      ...(vis.comment ? { comment: s.comment ?? `summary of r${s.revId}` } : {}),
      ...(vis.editor ? { editor: s.editor ?? { user_text: 'Alice', user_id: 42 } } : {}),
      is_minor_edit: false,
      is_comment_visible: vis.comment,
      is_content_visible: vis.content,
      is_editor_visible: vis.editor,
    },
  };
}

function foldPages(events: PageChangeEvent[]): PageRecord {
  let page: PageRecord | undefined;
  for (const e of events) page = mergePage(page, toPageChange(e).page);
  return page!;
}

function foldRevisions(events: PageChangeEvent[]): RevisionRecord {
  let rev: RevisionRecord | undefined;
  for (const e of events) rev = mergeRevision(rev, toPageChange(e).revision);
  return rev!;
}

describe('isoToMicros', () => {
  it('keeps the sub-millisecond digits Date.parse drops', () => {
    const ms = Date.parse('2021-01-01T00:00:00.123Z');
    expect(isoToMicros('2021-01-01T00:00:00.123456Z')).toBe(ms * 1000 + 456);
    expect(isoToMicros('2021-01-01T00:00:00.123456789Z')).toBe(ms * 1000 + 456);
    expect(isoToMicros('2021-01-01T00:00:00.123Z')).toBe(ms * 1000);
    expect(isoToMicros('2021-01-01T00:00:00Z')).toBe(Date.parse('2021-01-01T00:00:00Z') * 1000);
    expect(isoToMicros('2021-01-01T00:00:00.1Z')).toBe(Date.parse('2021-01-01T00:00:00Z') * 1000 + 100_000);
  });

  it('orders two instants of the same millisecond', () => {
    expect(isoToMicros('2021-01-01T00:00:00.123001Z')).toBeLessThan(
      isoToMicros('2021-01-01T00:00:00.123002Z'),
    );
  });

  it('honours offsets', () => {
    expect(isoToMicros('2021-01-01T01:00:00.000001+01:00')).toBe(isoToMicros('2021-01-01T00:00:00.000001Z'));
  });

  it('rejects what is not a date-time', () => {
    expect(() => isoToMicros('yesterday')).toThrow(RangeError);
  });
});

describe('toPageChange', () => {
  it('normalises a create event', () => {
    const change = toPageChange(
      event({
        kind: 'create',
        dt: '2024-03-01T12:00:00.250100Z',
        revId: 10,
        parentRevId: 0,
        title: 'Zürich',
      }),
    );
    expect(change).toEqual({
      kind: 'create',
      page: {
        wikiId: 'testwiki',
        pageId: 7,
        namespace: 0,
        title: 'Zürich',
        isRedirect: false,
        redirectNamespace: null,
        redirectTitle: null,
        latestRevId: 10,
        isDeleted: false,
        version: { dtUs: isoToMicros('2024-03-01T12:00:00.250100Z'), revId: 10 },
      },
      revision: {
        wikiId: 'testwiki',
        revId: 10,
        pageId: 7,
        // MediaWiki's 0 means "no parent".
        parentRevId: null,
        timestamp: '2024-03-01T12:00:00.250Z',
        sizeBytes: 1010,
        sha1: 'sha-10',
        isMinorEdit: false,
        comment: 'summary of r10',
        editorName: 'Alice',
        editorId: 42,
        isCommentVisible: true,
        isContentVisible: true,
        isEditorVisible: true,
        visibilityDtUs: isoToMicros('2024-03-01T12:00:00.250100Z'),
      },
    });
  });

  it('keeps a local redirect target and ignores an interwiki one', () => {
    const local = toPageChange(
      event({
        kind: 'edit',
        dt: '2024-03-01T12:00:00Z',
        revId: 11,
        redirect: { page_title: 'Target', namespace_id: 4 },
      }),
    );
    expect(local.page).toMatchObject({ isRedirect: true, redirectNamespace: 4, redirectTitle: 'Target' });

    const interwiki = toPageChange(
      event({
        kind: 'edit',
        dt: '2024-03-01T12:00:00Z',
        revId: 12,
        redirect: { page_title: 'Target', namespace_id: 0, interwiki_prefix: 'de' },
      }),
    );
    expect(interwiki.page).toMatchObject({ isRedirect: true, redirectNamespace: null, redirectTitle: null });
  });

  it('marks deletes, and gives a visibility_change no latest revision', () => {
    expect(toPageChange(event({ kind: 'delete', dt: '2024-03-01T12:00:00Z', revId: 13 })).page).toMatchObject(
      {
        isDeleted: true,
        latestRevId: 13,
      },
    );
    const vis = toPageChange(
      event({
        kind: 'visibility_change',
        dt: '2024-03-01T12:00:00Z',
        revId: 3,
        visible: { comment: false, editor: false },
      }),
    );
    expect(vis.page.latestRevId).toBeNull();
    expect(vis.page.isDeleted).toBe(false);
    expect(vis.revision).toMatchObject({
      comment: null,
      editorName: null,
      editorId: null,
      isCommentVisible: false,
      isEditorVisible: false,
      isContentVisible: true,
    });
  });

  it('normalises revision timestamps to millisecond UTC', () => {
    expect(normaliseIso('2024-03-01T13:00:00.123456+01:00')).toBe('2024-03-01T12:00:00.123Z');
  });
});

describe('mergePage', () => {
  const create = event({ kind: 'create', dt: '2024-03-01T12:00:00.000001Z', revId: 1, title: 'Draft' });
  const edit = event({ kind: 'edit', dt: '2024-03-01T12:00:05Z', revId: 2, title: 'Draft' });
  const move = event({ kind: 'move', dt: '2024-03-01T12:00:09Z', revId: 3, title: 'Final' });
  const del = event({ kind: 'delete', dt: '2024-03-01T12:01:00Z', revId: 3, title: 'Final' });
  const undel = event({ kind: 'undelete', dt: '2024-03-01T12:02:00Z', revId: 3, title: 'Final' });

  it('is idempotent: a duplicate changes nothing', () => {
    const once = foldPages([create, edit, move]);
    expect(foldPages([create, edit, move, move])).toEqual(once);
    expect(foldPages([create, create, edit, edit, move])).toEqual(once);
  });

  it('ignores the state of an older event arriving after a newer one', () => {
    const inOrder = foldPages([create, edit, move]);
    expect(inOrder).toMatchObject({ title: 'Final', latestRevId: 3 });
    expect(foldPages([move, edit, create])).toEqual(inOrder);
    expect(foldPages([edit, move, create])).toEqual(inOrder);
  });

  it('keeps a deleted page as a tombstone that an undelete revives', () => {
    const deleted = foldPages([create, edit, move, del]);
    expect(deleted).toMatchObject({ isDeleted: true, title: 'Final', latestRevId: 3 });
    const undeleted = foldPages([create, edit, move, del, undel]);
    expect(undeleted).toMatchObject({ isDeleted: false, title: 'Final', latestRevId: 3 });
    expect(undeleted.version).toEqual({ dtUs: isoToMicros(undel.dt), revId: 3 });
    // The delete arriving late does not re-delete.
    expect(foldPages([create, edit, move, undel, del])).toEqual(undeleted);
  });

  it('takes the page state of a visibility_change on an old revision but not its revision id', () => {
    const vis = event({
      kind: 'visibility_change',
      dt: '2024-03-01T12:00:20Z',
      revId: 1,
      title: 'Final',
      visible: { comment: false },
    });
    const page = foldPages([create, edit, move, vis]);
    expect(page.latestRevId).toBe(3);
    expect(page.version).toEqual({ dtUs: isoToMicros(vis.dt), revId: 1 });
    expect(foldPages([vis, move, edit, create])).toEqual(page);
  });

  it('orders events of the same millisecond by their microseconds', () => {
    const a = event({ kind: 'edit', dt: '2024-03-01T12:00:05.000100Z', revId: 5, title: 'First' });
    const b = event({ kind: 'move', dt: '2024-03-01T12:00:05.000200Z', revId: 4, title: 'Second' });
    expect(foldPages([a, b]).title).toBe('Second');
    expect(foldPages([b, a]).title).toBe('Second');
    // A lower revision id but a later instant wins: time first, then revision id.
    expect(foldPages([b, a]).latestRevId).toBe(5);
  });

  it('breaks a tie of instants by revision id', () => {
    const a = event({ kind: 'edit', dt: '2024-03-01T12:00:05Z', revId: 8, title: 'Lower' });
    const b = event({ kind: 'edit', dt: '2024-03-01T12:00:05Z', revId: 9, title: 'Higher' });
    expect(compareVersions(toPageChange(a).page.version, toPageChange(b).page.version)).toBeLessThan(0);
    expect(foldPages([b, a]).title).toBe('Higher');
    expect(foldPages([a, b]).title).toBe('Higher');
  });

  it('lets the later-applied of two equal versions win: a delete and undelete within one second', () => {
    // MediaWiki timestamps have one-second precision, and a delete and its undelete
    // carry the same (latest) revision: only the log order of the page tells them apart.
    const del = event({ kind: 'delete', dt: '2024-03-01T12:00:09Z', revId: 3 });
    const undel = event({ kind: 'undelete', dt: '2024-03-01T12:00:09Z', revId: 3 });
    expect(foldPages([del, undel]).isDeleted).toBe(false);
    expect(foldPages([undel, del]).isDeleted).toBe(true);
  });

  it('never lets a null latestRevId erase a known one', () => {
    const vis = event({ kind: 'visibility_change', dt: '2024-03-01T11:00:00Z', revId: 1 });
    expect(foldPages([vis]).latestRevId).toBeNull();
    expect(foldPages([vis, create]).latestRevId).toBe(1);
    expect(foldPages([create, vis]).latestRevId).toBe(1);
  });

  it('returns a new record, not the incoming one', () => {
    const incoming = toPageChange(create).page;
    const merged = mergePage(undefined, incoming);
    expect(merged).toEqual(incoming);
    expect(merged).not.toBe(incoming);
    expect(merged.version).not.toBe(incoming.version);
  });
});

describe('mergeRevision', () => {
  const created = event({ kind: 'create', dt: '2024-03-01T12:00:00Z', revId: 1, comment: 'first words' });
  const hide = event({
    kind: 'visibility_change',
    dt: '2024-03-01T13:00:00Z',
    revId: 1,
    visible: { comment: false, editor: false, content: false },
  });
  const unhide = event({
    kind: 'visibility_change',
    dt: '2024-03-01T14:00:00Z',
    revId: 1,
    comment: 'first words',
  });

  it('keeps facts an event omits because they are hidden', () => {
    const rev = foldRevisions([created, hide]);
    expect(rev).toMatchObject({
      comment: 'first words',
      editorName: 'Alice',
      editorId: 42,
      sha1: 'sha-1',
      sizeBytes: 1001,
      isCommentVisible: false,
      isEditorVisible: false,
      isContentVisible: false,
      visibilityDtUs: isoToMicros(hide.dt),
    });
  });

  it('fills facts from a later-arriving event that knows them', () => {
    const rev = foldRevisions([hide, created]);
    expect(rev).toEqual(foldRevisions([created, hide]));
  });

  it('takes the flags of the newest event whatever the order', () => {
    const expected = foldRevisions([created, hide, unhide]);
    expect(expected).toMatchObject({ isCommentVisible: true, isEditorVisible: true, isContentVisible: true });
    for (const order of [
      [unhide, hide, created],
      [hide, unhide, created],
      [created, unhide, hide],
      [unhide, created, hide],
    ]) {
      expect(foldRevisions(order)).toEqual(expected);
    }
  });

  it('takes comment and editor from the newest event that knows them (a rename renames history)', () => {
    const before = event({
      kind: 'edit',
      dt: '2024-03-01T12:00:00Z',
      revId: 5,
      editor: { user_text: 'Old_name', user_id: 9 },
    });
    const after = event({
      kind: 'visibility_change',
      dt: '2024-03-02T12:00:00Z',
      revId: 5,
      editor: { user_text: 'New_name', user_id: 9 },
    });
    expect(foldRevisions([before, after]).editorName).toBe('New_name');
    expect(foldRevisions([after, before]).editorName).toBe('New_name');
  });

  it('is idempotent', () => {
    expect(foldRevisions([created, hide, hide, created])).toEqual(foldRevisions([created, hide]));
  });

  it('keeps page, timestamp and minor flag from the first event', () => {
    const first = toPageChange(created).revision;
    const later: RevisionRecord = {
      ...first,
      pageId: 99,
      timestamp: '2030-01-01T00:00:00.000Z',
      isMinorEdit: true,
      visibilityDtUs: first.visibilityDtUs + 1,
    };
    expect(mergeRevision(first, later)).toMatchObject({
      pageId: first.pageId,
      timestamp: first.timestamp,
      isMinorEdit: false,
    });
  });
});
