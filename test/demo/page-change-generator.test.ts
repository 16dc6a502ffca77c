import { PageChangeGenerator, Random, sha1Base36 } from '../../demo/page-change-generator';
import { loadEventSchemas } from '../../streams/schemas';
import { PAGE_CHANGE_SCHEMA_TITLE, type PageChangeEvent } from '../../streams/contracts/page-change';
import type { PageChangeKind } from '../../streams/contracts/page-change';

const N = 5000;
const KINDS: PageChangeKind[] = ['create', 'edit', 'move', 'delete', 'undelete', 'visibility_change'];
const NAMESPACE_PREFIX: Record<string, Record<number, string>> = {
  enwiki: { 0: '', 1: 'Talk:', 2: 'User:', 4: 'Wikipedia:' },
  dewiki: { 0: '', 1: 'Diskussion:', 2: 'Benutzer:', 4: 'Wikipedia:' },
};

const events = new PageChangeGenerator({ seed: 7, startTime: '2025-03-01T00:00:00Z' }).nextN(N);

function count<T>(items: T[], keyOf: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return counts;
}

describe('PageChangeGenerator', () => {
  it(`produces ${N} events that all validate against mediawiki/page/change 1.2.0`, () => {
    const schemas = loadEventSchemas();
    const failures = events
      .map((event, i) => ({ i, result: schemas.validate(event, PAGE_CHANGE_SCHEMA_TITLE) }))
      .filter(({ result }) => !result.ok);
    expect(failures).toEqual([]);
    expect(new Set(events.map((e) => e.$schema))).toEqual(new Set(['/mediawiki/page/change/1.2.0']));
    expect(new Set(events.map((e) => e.meta.stream))).toEqual(new Set(['mediawiki.page_change.v1']));
  });

  it('mixes every kind in roughly the intended shares, on both wikis', () => {
    const kinds = count(events, (e) => e.page_change_kind);
    expect(Object.keys(kinds).sort()).toEqual([...KINDS].sort());
    const share = (kind: PageChangeKind) => (kinds[kind] ?? 0) / N;
    expect(share('edit')).toBeGreaterThan(0.6);
    expect(share('edit')).toBeLessThan(0.8);
    expect(share('create')).toBeGreaterThan(0.08);
    expect(share('create')).toBeLessThan(0.17);
    for (const kind of ['move', 'delete', 'visibility_change'] as const) {
      expect(share(kind)).toBeGreaterThan(0.025);
      expect(share(kind)).toBeLessThan(0.08);
    }
    expect(share('undelete')).toBeGreaterThan(0.01);
    expect(share('undelete')).toBeLessThan(0.05);

    expect(count(events, (e) => e.wiki_id)).toEqual({
      enwiki: expect.any(Number),
      dewiki: expect.any(Number),
    });
    const domains = count(events, (e) => `${e.wiki_id} ${e.meta.domain}`);
    expect(Object.keys(domains).sort()).toEqual(['dewiki de.wikipedia.org', 'enwiki en.wikipedia.org']);
    const namespaces = new Set(events.map((e) => e.page.namespace_id));
    expect([...namespaces].sort()).toEqual([0, 1, 2, 4]);
  });

  it('sets changelog_kind from the page change kind, as EventBus maps it', () => {
    const expected: Record<PageChangeKind, string> = {
      create: 'insert',
      undelete: 'insert',
      delete: 'delete',
      edit: 'update',
      move: 'update',
      visibility_change: 'update',
    };
    for (const e of events)
      expect(`${e.page_change_kind} ${e.changelog_kind}`).toBe(
        `${e.page_change_kind} ${expected[e.page_change_kind]}`,
      );
  });

  it('attributes edits to registered users, logged-out IPv4 and IPv6 editors, a bot and a sysop', () => {
    const editors = events.flatMap((e) =>
      e.page_change_kind === 'edit' && e.revision.editor ? [e.revision.editor] : [],
    );
    const ipv4 = editors.filter((u) => /^\d{1,3}(\.\d{1,3}){3}$/.test(u.user_text ?? ''));
    const ipv6 = editors.filter((u) => /^[0-9A-F]{1,4}(:[0-9A-F]{1,4}){7}$/.test(u.user_text ?? ''));
    expect(ipv4.length).toBeGreaterThan(0);
    expect(ipv6.length).toBeGreaterThan(0);
    for (const anon of [...ipv4, ...ipv6]) {
      // Logged-out editors have no account: no id, groups, edit count or registration.
      expect(anon).toEqual({ user_text: anon.user_text, is_bot: false, is_system: false, is_temp: false });
    }
    const bots = editors.filter((u) => u.is_bot);
    expect(bots.length).toBeGreaterThan(0);
    for (const bot of bots) expect(bot.groups).toContain('bot');
    const registered = editors.filter((u) => u.user_id !== undefined && !u.is_bot);
    expect(registered.length).toBeGreaterThan(0);
    for (const user of registered) {
      expect(user).toMatchObject({ edit_count: expect.any(Number), registration_dt: expect.any(String) });
      expect(user.groups).toEqual(expect.arrayContaining(['*', 'user']));
    }
    // Logged-out users cannot mark an edit minor.
    expect(
      events.some(
        (e) =>
          e.revision.is_minor_edit &&
          e.revision.editor?.user_id === undefined &&
          e.page_change_kind === 'edit',
      ),
    ).toBe(false);

    const adminKinds: PageChangeKind[] = ['delete', 'undelete', 'visibility_change'];
    for (const e of events.filter((ev) => adminKinds.includes(ev.page_change_kind))) {
      expect(e.performer?.groups).toContain('sysop');
    }
  });

  it('tells a coherent history: edits on live pages, undeletes after deletes, titles follow moves', () => {
    interface Page {
      live: boolean;
      title: string;
      namespace: number;
      latestRevId: number;
      deletedAt?: number;
    }
    const pages = new Map<string, Page>();
    const lastRevId = new Map<string, number>();
    const lastDt = new Map<string, number>();
    const pending = new Map<string, number>(); // redirect pages announced by a move, awaiting their create

    events.forEach((e, i) => {
      const key = `${e.wiki_id}:${e.page.page_id}`;
      const page = pages.get(key);
      const where = `event ${i} (${e.page_change_kind} ${key})`;
      const dt = Date.parse(e.dt);
      expect([where, dt > (lastDt.get(e.wiki_id) ?? 0)]).toEqual([where, true]);
      lastDt.set(e.wiki_id, dt);
      // The prefixed title agrees with the namespace.
      const prefix = NAMESPACE_PREFIX[e.wiki_id]?.[e.page.namespace_id ?? 0] ?? '?';
      expect([where, e.page.page_title.startsWith(prefix)]).toEqual([where, true]);

      if (['create', 'edit', 'move'].includes(e.page_change_kind)) {
        // A new revision: ids only grow within a wiki, and it continues the page's history.
        expect([where, e.revision.rev_id > (lastRevId.get(e.wiki_id) ?? 0)]).toEqual([where, true]);
        lastRevId.set(e.wiki_id, e.revision.rev_id);
        expect([where, e.revision.rev_dt]).toEqual([where, e.dt]);
      }

      switch (e.page_change_kind) {
        case 'create':
          expect([where, page]).toEqual([where, undefined]);
          expect([where, e.revision.rev_parent_id]).toEqual([where, undefined]);
          if (pending.has(key)) {
            // The redirect a move left behind comes right after the move.
            expect([where, pending.get(key)]).toEqual([where, i - 1]);
            expect(e.page.is_redirect).toBe(true);
            expect(e.page.redirect_page_link?.page_id).toBe(events[i - 1]?.page.page_id);
            pending.delete(key);
          }
          pages.set(key, {
            live: true,
            title: e.page.page_title,
            namespace: e.page.namespace_id ?? 0,
            latestRevId: e.revision.rev_id,
          });
          break;
        case 'edit':
          expect([where, page?.live]).toEqual([where, true]);
          expect([where, e.page.page_title]).toEqual([where, page?.title]);
          expect([where, e.revision.rev_parent_id]).toEqual([where, page?.latestRevId]);
          expect([where, e.prior_state?.revision?.rev_id]).toEqual([where, page?.latestRevId]);
          if (page) page.latestRevId = e.revision.rev_id;
          break;
        case 'move':
          expect([where, page?.live]).toEqual([where, true]);
          expect([where, e.prior_state?.page?.page_title]).toEqual([where, page?.title]);
          expect(e.page.page_title).not.toBe(page?.title);
          expect(e.prior_state?.page?.namespace_id ?? e.page.namespace_id).toBe(page?.namespace);
          // The move's null revision keeps the content.
          expect(e.revision.rev_parent_id).toBe(page?.latestRevId);
          expect(e.revision.rev_sha1).toBe(e.prior_state?.revision?.rev_sha1);
          if (e.created_redirect_page) {
            expect(e.created_redirect_page.page_title).toBe(page?.title);
            pending.set(`${e.wiki_id}:${e.created_redirect_page.page_id}`, i);
          }
          if (page)
            Object.assign(page, {
              title: e.page.page_title,
              namespace: e.page.namespace_id,
              latestRevId: e.revision.rev_id,
            });
          break;
        case 'delete':
          expect([where, page?.live]).toEqual([where, true]);
          expect(e.revision.rev_id).toBe(page?.latestRevId);
          expect(e.page.revision_count).toBeGreaterThan(0);
          if (page) Object.assign(page, { live: false, deletedAt: i });
          break;
        case 'undelete':
          expect([where, page?.live]).toEqual([where, false]);
          expect(page?.deletedAt).toBeLessThan(i);
          expect(e.page.page_title).toBe(page?.title);
          expect(e.revision.rev_id).toBe(page?.latestRevId);
          if (page) page.live = true;
          break;
        case 'visibility_change': {
          expect([where, page?.live]).toEqual([where, true]);
          expect(e.revision.rev_id).toBeLessThanOrEqual(page?.latestRevId ?? 0);
          const prior = e.prior_state?.revision ?? {};
          expect(Object.keys(prior).length).toBeGreaterThan(0);
          for (const [flag, was] of Object.entries(prior)) {
            expect(e.revision[flag as 'is_comment_visible' | 'is_editor_visible']).toBe(!was);
          }
          // What is hidden is left out, not blanked.
          expect('comment' in e.revision).toBe(e.revision.is_comment_visible);
          expect('editor' in e.revision).toBe(e.revision.is_editor_visible);
          break;
        }
      }
    });
    expect(pending.size).toBe(0);
  });

  it('hides and unhides comments and editors', () => {
    const changes = events.filter((e) => e.page_change_kind === 'visibility_change');
    const flips = (e: PageChangeEvent, flag: 'is_comment_visible' | 'is_editor_visible', to: boolean) =>
      e.prior_state?.revision?.[flag] === !to && e.revision[flag] === to;
    expect(changes.some((e) => flips(e, 'is_comment_visible', false))).toBe(true);
    expect(changes.some((e) => flips(e, 'is_editor_visible', false))).toBe(true);
    expect(
      changes.some((e) => flips(e, 'is_comment_visible', true) || flips(e, 'is_editor_visible', true)),
    ).toBe(true);
  });

  it('leaves a redirect on most moves and moves user drafts into article space', () => {
    const moves = events.filter((e) => e.page_change_kind === 'move');
    expect(moves.some((e) => e.created_redirect_page)).toBe(true);
    expect(moves.some((e) => !e.created_redirect_page)).toBe(true);
    expect(moves.some((e) => e.prior_state?.page?.namespace_id === 2 && e.page.namespace_id === 0)).toBe(
      true,
    );
  });

  it('hashes content like MediaWiki: base-36 sha1, 31 characters, the main slot matching the revision', () => {
    expect(sha1Base36('')).toBe('phoiac9h4m842xq45sp7s6u21eteeq1');
    for (const e of events) {
      expect(e.revision.rev_sha1).toMatch(/^[0-9a-z]{31}$/);
      expect((e.revision.content_slots?.main as { content_sha1?: string }).content_sha1).toBe(
        e.revision.rev_sha1,
      );
    }
  });

  it('is deterministic by seed', () => {
    const again = new PageChangeGenerator({ seed: 7, startTime: '2025-03-01T00:00:00Z' }).nextN(N);
    expect(again).toEqual(events);
    const other = new PageChangeGenerator({ seed: 8, startTime: '2025-03-01T00:00:00Z' }).nextN(50);
    expect(other).not.toEqual(events.slice(0, 50));
  });

  it('stamps events with the clock when given one, without changing the history', () => {
    let now = Date.parse('2026-02-01T12:00:00Z');
    const clocked = new PageChangeGenerator({ seed: 7, clock: () => now }).nextN(300);
    const simulated = events.slice(0, 300);
    clocked.forEach((e, i) => {
      const s = simulated[i] as PageChangeEvent;
      expect(e.revision.rev_id).toBe(s.revision.rev_id);
      expect(e.page).toEqual(s.page);
    });
    // A frozen clock still yields strictly increasing times.
    const times = clocked.map((e) => Date.parse(e.dt));
    expect(times[0]).toBe(now);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number);
    now += 60_000;
    expect(Date.parse(new PageChangeGenerator({ seed: 1, clock: () => now }).next().dt)).toBe(now);
  });
});

describe('Random', () => {
  it('makes RFC 4122 version-4 UUIDs', () => {
    const r = new Random(1);
    for (let i = 0; i < 100; i++)
      expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
