/**
 * The demo's pageview generator: deterministic, schema-valid counts for the
 * live pages the page-change generator creates, a backfill of the last hours,
 * complete counts as hours end and growing counts for the hour in progress,
 * so a fresh demo answers daily queries over recent days.
 */
import { PageChangeGenerator } from '../../demo/page-change-generator';
import { DEFAULT_BACKFILL_HOURS, PageviewGenerator } from '../../demo/pageview-generator';
import type { PageChangeEvent } from '../../streams/contracts/page-change';
import { toPageviewHour, type PageviewHourlyEvent } from '../../subgraphs/pageviews/events';
import { pageviewHourlyBinding } from '../../subgraphs/pageviews/product';
import { createEmbeddedPageviewsStore } from '../../subgraphs/pageviews/store/embedded';
import { hourOf } from '../../subgraphs/pageviews/timestamps';
import { rejectReason } from '../../streams/check';
import { loadEventSchemas } from '../../streams/schemas';

const schemas = loadEventSchemas();
const START = Date.parse('2026-03-10T10:30:00Z');

/** Live titles per wiki after a history, from the events themselves. */
function liveTitles(history: readonly PageChangeEvent[]): Set<string> {
  const live = new Set<string>();
  for (const e of history) {
    const key = `${e.wiki_id}|${e.page.page_title}`;
    if (e.page_change_kind === 'delete') live.delete(key);
    else if (e.page_change_kind === 'move') {
      live.delete(`${e.wiki_id}|${e.prior_state?.page?.page_title}`);
      live.add(key);
    } else if (e.page_change_kind !== 'visibility_change') live.add(key);
  }
  return live;
}

function setup(clock: { now: number }) {
  const pages = new PageChangeGenerator({ seed: 7, clock: () => clock.now });
  const views = new PageviewGenerator({ seed: 7, clock: () => clock.now });
  const history = pages.nextN(400);
  views.observe(history);
  return { pages, views, history };
}

describe('PageviewGenerator', () => {
  it('emits schema-valid counts of live pages only, backfilling the last hours', () => {
    const clock = { now: START };
    const { views, history } = setup(clock);
    const events = views.next(10);
    for (const e of events) expect(rejectReason(e, schemas, pageviewHourlyBinding)).toBeNull();
    const live = liveTitles(history);
    expect(events.every((e) => live.has(`${e.wiki_id}|${e.page_title}`))).toBe(true);
    expect(new Set(events.map((e) => e.wiki_id))).toEqual(new Set(['enwiki', 'dewiki']));
    expect(events.some((e) => e.namespace_id !== 0)).toBe(true);

    const hours = [...new Set(events.map((e) => e.dt))].sort();
    expect(hours).toHaveLength(DEFAULT_BACKFILL_HOURS + 1);
    expect(hours[0]).toBe('2026-03-07T10:00:00.000Z');
    // The last is the hour in progress, for the 10 pages asked for.
    expect(hours[hours.length - 1]).toBe('2026-03-10T10:00:00.000Z');
    expect(events.filter((e) => e.dt === '2026-03-10T10:00:00.000Z')).toHaveLength(10);
  });

  it('is deterministic for a seed and history', () => {
    const a = setup({ now: START }).views.next(5);
    const b = setup({ now: START }).views.next(5);
    expect(a).toEqual(b);
  });

  it('completes an hour when it ends, with counts no smaller than those sent during it', () => {
    const clock = { now: START };
    const { views } = setup(clock);
    const first = views.next(1000);
    const during = first.filter((e) => e.dt === '2026-03-10T10:00:00.000Z');
    clock.now = Date.parse('2026-03-10T11:05:00Z');
    const after = views.next(0);
    // Only the hour that ended: nothing backfilled twice, nothing of 11:00 asked for.
    expect(new Set(after.map((e) => e.dt))).toEqual(new Set(['2026-03-10T10:00:00.000Z']));
    const final = new Map(after.map((e) => [e.page_title, e]));
    expect(during.length).toBeGreaterThan(0);
    for (const e of during) {
      const complete = final.get(e.page_title)!;
      for (const access of ['desktop', 'mobile_web', 'mobile_app'] as const)
        for (const agent of ['user', 'spider', 'automated'] as const)
          expect(complete.views[access]![agent]!).toBeGreaterThanOrEqual(e.views[access]![agent]!);
    }
    expect(views.next(0)).toEqual([]);
  });

  it('stops viewing a deleted page and follows a moved one', () => {
    const clock = { now: START };
    const pages = new PageChangeGenerator({ seed: 11, clock: () => clock.now });
    const views = new PageviewGenerator({ seed: 11, clock: () => clock.now });
    const history = pages.nextN(1500);
    views.observe(history);
    const viewed = new Set(views.next(0).map((e) => `${e.wiki_id}|${e.page_title}`));
    const deleted = history
      .filter((e) => e.page_change_kind === 'delete')
      .map((e) => `${e.wiki_id}|${e.page.page_title}`);
    const movedAway = history
      .filter((e) => e.page_change_kind === 'move')
      .map((e) => `${e.wiki_id}|${e.prior_state?.page?.page_title}`);
    const live = liveTitles(history);
    expect(deleted.length + movedAway.length).toBeGreaterThan(0);
    for (const key of [...deleted, ...movedAway]) if (!live.has(key)) expect(viewed.has(key)).toBe(false);
  });

  it('gives a fresh demo data for daily queries over the last days and a ranking of today', async () => {
    const now = Date.now();
    const clock = { now };
    const { views } = setup(clock);
    const events: PageviewHourlyEvent[] = views.next(50);
    const store = createEmbeddedPageviewsStore({ retention: { hourlyDays: 90, dailyDays: 0 } });
    await pageviewHourlyBinding.apply(
      store,
      events.map((event, i) => ({ event, topic: 't', partition: 0, offset: String(i) })),
    );
    const busiest = toPageviewHour(events[0]!);
    const today = hourOf(now).slice(0, 8);
    const threeDaysAgo = hourOf(now - 3 * 86_400_000).slice(0, 8);
    const [rows] = await store.dailyRows([
      { project: busiest.project, title: busiest.title, startDay: threeDaysAgo, endDay: today },
    ]);
    expect(rows!.length).toBeGreaterThanOrEqual(3);
    expect(rows!.every((r) => r.counts.aa > 0)).toBe(true);
    const top = await store.topPages({ project: 'en.wikipedia', access: 'all-access', day: today, limit: 5 });
    expect(top.length).toBeGreaterThan(0);
  });
});
