/**
 * The `editstats` rules on their own: what counts as an edit, who made it, how
 * many bytes it changed, which day it belongs to; the day arguments of the
 * API; and the bounded top-N selection against a full sort.
 */
import type { PageChangeEvent, UserEntity } from '../../streams/contracts/page-change';
import {
  aqsTimestamp,
  daysBetween,
  MAX_RANGE_DAYS,
  parseDay,
  parseDayRange,
} from '../../subgraphs/editstats/days';
import type { EditorKind, PageDayCounts } from '../../subgraphs/editstats/model';
import {
  BUCKETS,
  countEdit,
  editorKind,
  editRecords,
  netBytes,
  pageBucket,
  rollupVersion,
  toEditRecord,
  touchedRollups,
  utcDay,
  zeroCounts,
} from '../../subgraphs/editstats/rollup';
import { compareRank, TopPages } from '../../subgraphs/editstats/top';
import { editStatsPageChangeBinding } from '../../subgraphs/editstats/binding';
import { pageChangeBinding } from '../../subgraphs/pages/product';
import { pageChange, type EventSpec } from '../fixtures/page-change';
import { prng } from '../fixtures/random';

function event(spec: Partial<EventSpec> = {}, patch: (e: PageChangeEvent) => void = () => undefined) {
  const e = pageChange({
    kind: 'edit',
    pageId: 1,
    title: 'A',
    revId: 10,
    parentRevId: 9,
    size: 120,
    ...spec,
  });
  patch(e);
  return e;
}

test("the stream binding is the pages product's contract for page_change: same stream, schema, key and checks", () => {
  // editstats sorts first, so producers validate and key page_change events with its binding.
  const { apply: _a, ...ours } = editStatsPageChangeBinding;
  const { apply: _b, ...theirs } = pageChangeBinding;
  expect(ours).toEqual(theirs);
  expect(ours.key).toBe(theirs.key);
  expect(ours.invalidReason).toBe(theirs.invalidReason);
});

describe('what counts', () => {
  it.each(['create', 'edit'] as const)('a %s is one edit', (kind) => {
    expect(toEditRecord(event({ kind }))).toMatchObject({ wikiId: 'enwiki', pageId: 1, revId: 10 });
  });

  it.each(['move', 'delete', 'undelete', 'visibility_change'] as const)('a %s is not an edit', (kind) => {
    expect(toEditRecord(event({ kind }))).toBeNull();
  });

  it('dates an edit by the UTC day its revision was saved, not by the event time', () => {
    const e = event({}, (ev) => {
      ev.revision.rev_dt = '2026-01-31T23:59:59.999Z';
      ev.dt = '2026-02-01T00:00:05Z';
    });
    expect(toEditRecord(e)!.day).toBe('20260131');
    expect(utcDay('2026-03-01T00:30:00+02:00')).toBe('20260228');
    expect(() => utcDay('yesterday')).toThrow(RangeError);
  });

  it('counts a revision once however often, and in whatever batch, it arrives', () => {
    const a = event({ revId: 1 });
    const b = event({ revId: 2 });
    const other = event({ revId: 1, wikiId: 'dewiki' });
    expect(editRecords([a, b, a, other, b, a]).map((r) => `${r.wikiId}:${r.revId}`)).toEqual([
      'enwiki:1',
      'enwiki:2',
      'dewiki:1',
    ]);
  });
});

describe('editor kind', () => {
  const withEditor = (editor: PageChangeEvent['performer']) =>
    event({}, (e) => {
      e.revision.editor = editor;
      e.performer = editor;
    });

  it.each<[string, UserEntity, EditorKind]>([
    ['a registered account', { user_id: 5, user_text: 'Alice', groups: ['*', 'user'] }, 'registered'],
    ['a flagged bot', { user_id: 6, user_text: 'B', is_bot: true }, 'bot'],
    ['an account in the bot group', { user_id: 6, user_text: 'B', groups: ['*', 'bot'] }, 'bot'],
    ['an IP editor', { user_text: '192.0.2.1' }, 'anonymous'],
    ['user id 0', { user_id: 0, user_text: '192.0.2.1' }, 'anonymous'],
    ['a temporary account', { user_id: 8, user_text: '~2026-3', is_temp: true }, 'anonymous'],
  ])('%s', (_what, user, kind) => {
    expect(editorKind(withEditor(user))).toBe(kind);
  });

  it('falls back to the performer when the revision names no editor, and to anonymous without either', () => {
    const hidden = event({}, (e) => {
      delete e.revision.editor;
      e.performer = { user_id: 3, user_text: 'Carol', is_bot: true };
    });
    expect(editorKind(hidden)).toBe('bot');
    delete hidden.performer;
    expect(editorKind(hidden)).toBe('anonymous');
  });
});

describe('net bytes', () => {
  it('is the size change against the parent the event carries', () => {
    const e = event({ size: 120 }, (ev) => (ev.prior_state = { revision: { rev_id: 9, rev_size: 150 } }));
    expect(netBytes(e)).toBe(-30);
  });

  it("counts a page's first revision whole", () => {
    expect(netBytes(event({ kind: 'create', size: 500 }))).toBe(500);
    expect(netBytes(event({ size: 70 }, (e) => delete e.revision.rev_parent_id))).toBe(70);
  });

  it('is 0 when the parent size or the size is not carried', () => {
    expect(netBytes(event({ size: 120 }))).toBe(0);
    expect(netBytes(event({}, (e) => delete e.revision.rev_size))).toBe(0);
  });

  it('can exceed 32 bits when summed', () => {
    const c = zeroCounts();
    for (let i = 0; i < 3; i++) countEdit(c, { editorKind: 'bot', netBytes: 2 ** 31 });
    expect(c).toEqual({
      edits: 3,
      registeredEdits: 0,
      anonymousEdits: 0,
      botEdits: 3,
      netBytes: 3 * 2 ** 31,
    });
  });
});

describe('roll-up bookkeeping', () => {
  it('lists each touched bucket with its page-days and edits, and each wiki-day, once', () => {
    // Pages 1 and 2 fall in different buckets; page 4 shares page 1's only on another wiki.
    expect(pageBucket(1)).not.toBe(pageBucket(2));
    const records = editRecords([
      event({ revId: 1, pageId: 1 }),
      event({ revId: 2, pageId: 1 }),
      event({ revId: 3, pageId: 2 }),
      event({ revId: 4, pageId: 2, wikiId: 'dewiki' }),
      event({ revId: 5, pageId: 1 }, (e) => {
        e.revision.rev_dt = '2026-01-06T00:00:00Z';
      }),
    ]);
    const [r1, r2, r3, r4, r5] = records;
    expect(touchedRollups(records)).toEqual({
      buckets: [
        {
          wikiId: 'enwiki',
          day: '20260105',
          bucket: pageBucket(1),
          pageDays: [{ pageId: 1, edits: [r1, r2] }],
        },
        { wikiId: 'enwiki', day: '20260105', bucket: pageBucket(2), pageDays: [{ pageId: 2, edits: [r3] }] },
        { wikiId: 'dewiki', day: '20260105', bucket: pageBucket(2), pageDays: [{ pageId: 2, edits: [r4] }] },
        { wikiId: 'enwiki', day: '20260106', bucket: pageBucket(1), pageDays: [{ pageId: 1, edits: [r5] }] },
      ],
      wikiDays: [
        { wikiId: 'enwiki', day: '20260105' },
        { wikiId: 'dewiki', day: '20260105' },
        { wikiId: 'enwiki', day: '20260106' },
      ],
    });
  });

  it('groups the page-days of one bucket together', () => {
    const byBucket = new Map<number, number[]>();
    for (let id = 1; id <= 20_000; id++)
      byBucket.set(pageBucket(id), [...(byBucket.get(pageBucket(id)) ?? []), id]);
    const sameBucket = [...byBucket.values()].find((ids) => ids.length >= 3)!;
    const records = editRecords(sameBucket.slice(0, 3).map((pageId, i) => event({ pageId, revId: 100 + i })));
    const { buckets } = touchedRollups(records);
    expect(buckets).toHaveLength(1);
    expect(buckets[0]!.pageDays.map((pd) => pd.pageId)).toEqual(sameBucket.slice(0, 3));
  });

  it('spreads page ids evenly over the buckets, sequential or strided', () => {
    for (const stride of [1, BUCKETS, 1000]) {
      const perBucket = new Array<number>(BUCKETS).fill(0);
      for (let i = 1; i <= 100 * BUCKETS; i++) perBucket[pageBucket(i * stride)]!++;
      // A mean of 100 a bucket; a uniform hash stays well within ±50 %.
      expect(Math.min(...perBucket)).toBeGreaterThan(50);
      expect(Math.max(...perBucket)).toBeLessThan(150);
    }
  });

  it('keeps every page in the bucket it was stored in: the buckets are part of the stored layout', () => {
    // Pinned: a change here would file new rows under other buckets than the stored ones.
    expect([1, 2, 3, 4096, 4097, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1].map(pageBucket)).toEqual([
      2278, 1000, 2961, 1313, 3954, 1752, 2786, 2936,
    ]);
    expect(() => pageBucket(-1)).toThrow(RangeError);
    expect(() => pageBucket(1.5)).toThrow(RangeError);
  });

  it('versions a roll-up by the number of edits it was computed from', () => {
    expect(rollupVersion({ edits: 7 })).toBe(7);
  });
});

describe('day arguments', () => {
  it('accepts YYYYMMDD and YYYYMMDDHH, the hour selecting its day', () => {
    expect(parseDay('20260101', 'start')).toBe('20260101');
    expect(parseDay('2026010123', 'start')).toBe('20260101');
    expect(parseDay('2024022900', 'start')).toBe('20240229');
    expect(aqsTimestamp('20260101')).toBe('2026010100');
  });

  it.each(['2026-01-01', '202601', '2026013200', '2025022900', '2026010124', '20260101000', ' 20260101', ''])(
    'refuses %j with a BAD_USER_INPUT error naming the argument',
    (value) => {
      try {
        parseDay(value, 'start');
        throw new Error('accepted');
      } catch (err) {
        expect(err).toMatchObject({
          message: `start must be a UTC date as YYYYMMDD or YYYYMMDDHH (e.g. 2026010100), got ${JSON.stringify(value)}`,
          extensions: { code: 'BAD_USER_INPUT', argumentName: 'start' },
        });
      }
    },
  );

  it('takes inclusive ranges in order and at most MAX_RANGE_DAYS long', () => {
    expect(parseDayRange('2026010100', '2026013100')).toEqual({ startDay: '20260101', endDay: '20260131' });
    expect(parseDayRange('20260101', '2026010105')).toEqual({ startDay: '20260101', endDay: '20260101' });
    expect(() => parseDayRange('20260201', '20260131')).toThrow('end (20260131) is before start (20260201)');
    const last = new Date(Date.UTC(2020, 0, 1) + (MAX_RANGE_DAYS - 1) * 86_400_000);
    const lastDay = last.toISOString().slice(0, 10).replace(/-/g, '');
    expect(daysBetween('20200101', lastDay)).toBe(MAX_RANGE_DAYS - 1);
    expect(parseDayRange('20200101', lastDay).endDay).toBe(lastDay);
    const after = utcDay(last.getTime() + 86_400_000);
    expect(() => parseDayRange('20200101', after)).toThrow(`at most ${MAX_RANGE_DAYS} are allowed`);
  });
});

describe('top pages', () => {
  it('keeps the same N as sorting everything, for any arrival order', () => {
    const random = prng(5);
    const pages: PageDayCounts[] = Array.from({ length: 2000 }, (_, i) => ({
      pageId: i + 1,
      // Few distinct counts, so ties (broken by page id) are everywhere.
      edits: 1 + Math.floor(random() * 6),
      registeredEdits: 0,
      anonymousEdits: 0,
      botEdits: 0,
      netBytes: 0,
    }));
    const arrival = [...pages].sort(() => random() - 0.5);
    for (const limit of [0, 1, 7, 100, 2000, 5000]) {
      const top = new TopPages(limit);
      for (const p of arrival) top.offer(p);
      expect(top.result()).toEqual([...pages].sort(compareRank).slice(0, limit));
    }
  });

  it('tells whether a page with so many edits could still enter the list', () => {
    const page = (pageId: number, edits: number): PageDayCounts => ({
      pageId,
      edits,
      registeredEdits: edits,
      anonymousEdits: 0,
      botEdits: 0,
      netBytes: 0,
    });
    const top = new TopPages(2);
    expect(top.couldKeep(1)).toBe(true);
    top.offer(page(5, 4));
    expect(top.couldKeep(1)).toBe(true);
    top.offer(page(9, 3));
    expect(top.couldKeep(2)).toBe(false);
    // As many edits as the worst kept page: a lower page id still ranks before it.
    expect(top.couldKeep(3)).toBe(true);
    top.offer(page(1, 3));
    expect(top.result().map((p) => p.pageId)).toEqual([5, 1]);
    expect(new TopPages(0).couldKeep(100)).toBe(false);
  });

  it('refuses a negative or fractional limit', () => {
    expect(() => new TopPages(-1)).toThrow(RangeError);
    expect(() => new TopPages(1.5)).toThrow(RangeError);
  });
});
