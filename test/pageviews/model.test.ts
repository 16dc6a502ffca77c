/** Timestamps, retention, daily sums, batch folding and the bounded top-N heap. */
import {
  dailyCountsOf,
  foldHours,
  MAX_HOURLY_CELL,
  type PageviewHour,
} from '../../subgraphs/pageviews/model';
import { expiresAtMs, MAX_TTL_SECONDS, ttlSeconds } from '../../subgraphs/pageviews/retention';
import { TopN } from '../../subgraphs/pageviews/store/port';
import { fullMonths, hourOfIso, hourToIso, keyToMs, nextDay } from '../../subgraphs/pageviews/timestamps';

describe('timestamps', () => {
  it('parses real hours and days only', () => {
    expect(keyToMs('2024022923')).toBe(Date.parse('2024-02-29T23:00:00Z'));
    expect(keyToMs('20240301')).toBe(Date.parse('2024-03-01T00:00:00Z'));
    for (const bad of ['2023022900', '2024013100x', '2024010124', '20241301', '202401', '2024-01-01'])
      expect(keyToMs(bad)).toBeNaN();
  });

  it('takes an hour from an ISO instant only at the hour start', () => {
    expect(hourOfIso('2024-08-24T13:00:00Z')).toBe('2024082413');
    expect(hourOfIso('2024-08-24T15:00:00+02:00')).toBe('2024082413');
    expect(hourOfIso('2024-08-24T13:00:00.000000Z')).toBe('2024082413');
    expect(hourOfIso('2024-08-24T13:00:00.000001Z')).toBeNull();
    expect(hourOfIso('2024-08-24T13:00:01Z')).toBeNull();
    expect(hourOfIso('2024-08-24T13:30:00Z')).toBeNull();
    expect(hourToIso('2024082413')).toBe('2024-08-24T13:00:00Z');
  });

  it('steps days over month and year ends', () => {
    expect(nextDay('20240228')).toBe('20240229');
    expect(nextDay('20241231')).toBe('20250101');
  });

  it('lists only calendar months wholly inside a range', () => {
    expect(fullMonths('20240101', '20240331').map((m) => m.timestamp)).toEqual([
      '2024010100',
      '2024020100',
      '2024030100',
    ]);
    expect(fullMonths('20240102', '20240330')).toEqual([
      { timestamp: '2024020100', firstDay: '20240201', lastDay: '20240229' },
    ]);
    expect(fullMonths('20231201', '20240131').map((m) => m.timestamp)).toEqual(['2023120100', '2024010100']);
    expect(fullMonths('20240102', '20240131')).toEqual([]);
    expect(fullMonths('20240201', '20240228')).toEqual([]);
  });
});

describe('retention', () => {
  const now = Date.parse('2024-03-10T12:00:00Z');

  it('counts from the end of the row’s day, so every hour of a day expires together', () => {
    // Day 2024-03-01 ends at 03-02T00:00; + 10 days = 03-12T00:00, 36 h after now.
    expect(ttlSeconds('20240301', 10, now)).toBe(36 * 3600);
    expect(expiresAtMs('20240301', 10)).toBe(Date.parse('2024-03-12T00:00:00Z'));
  });

  it('refuses rows already past retention and keeps forever with 0 days', () => {
    expect(ttlSeconds('20240229', 10, now)).toBe(12 * 3600);
    expect(ttlSeconds('20240228', 10, now)).toBeNull();
    expect(ttlSeconds('20240101', 0, now)).toBe(0);
    expect(expiresAtMs('20240101', 0)).toBe(Infinity);
  });

  it('caps a future day at Cassandra’s TTL limit', () => {
    expect(ttlSeconds('20990101', 7000, now)).toBe(MAX_TTL_SECONDS);
  });
});

function hour(title: string, h: string, cells: PageviewHour['cells']): PageviewHour {
  return { wikiId: 'enwiki', project: 'en.wikipedia', namespace: 0, title, hour: h, cells };
}

describe('dailyCountsOf', () => {
  it('sums every cell and every roll-up', () => {
    const counts = dailyCountsOf([
      { du: 1, ds: 2, db: 3, mau: 4, mas: 5, mab: 6, mwu: 7, mws: 8, mwb: 9 },
      { du: 10, mwu: 100 },
    ]);
    expect(counts).toEqual({
      du: 11,
      ds: 2,
      db: 3,
      da: 16,
      mau: 4,
      mas: 5,
      mab: 6,
      maa: 15,
      mwu: 107,
      mws: 8,
      mwb: 9,
      mwa: 124,
      au: 122,
      as: 15,
      ab: 18,
      aa: 155,
    });
  });

  it('cannot overflow a 32-bit column with 24 full hours', () => {
    const full = { du: MAX_HOURLY_CELL, ds: MAX_HOURLY_CELL, db: MAX_HOURLY_CELL, mau: MAX_HOURLY_CELL };
    const all = { ...full, mas: MAX_HOURLY_CELL, mab: MAX_HOURLY_CELL, mwu: MAX_HOURLY_CELL };
    const hours = Array.from({ length: 24 }, () => ({ ...all, mws: MAX_HOURLY_CELL, mwb: MAX_HOURLY_CELL }));
    expect(dailyCountsOf(hours).aa).toBeLessThanOrEqual(2 ** 31 - 1);
  });
});

describe('foldHours', () => {
  it('folds one article-hour in order: later cells replace, others are kept', () => {
    const folded = foldHours([
      hour('A', '2024010100', { du: 1, ds: 5 }),
      hour('B', '2024010100', { du: 7 }),
      hour('A', '2024010100', { du: 2, mwu: 3 }),
      hour('A', '2024010101', { du: 9 }),
      hour('A', '2024010100', { ds: 0 }),
    ]);
    expect(folded.map((h) => [h.title, h.hour, h.cells])).toEqual([
      ['A', '2024010100', { du: 2, ds: 0, mwu: 3 }],
      ['B', '2024010100', { du: 7 }],
      ['A', '2024010101', { du: 9 }],
    ]);
  });
});

describe('TopN', () => {
  it('keeps the best N of a stream, most views first, ties by title, no zeros', () => {
    const top = new TopN(3);
    const rows = [
      { title: 'C', views: 5 },
      { title: 'A', views: 1 },
      { title: 'Z', views: 0 },
      { title: 'B', views: 9 },
      { title: 'D', views: 5 },
      { title: 'E', views: 2 },
      { title: 'AA', views: 5 },
    ];
    for (const r of rows) top.offer(r);
    expect(top.ranked()).toEqual([
      { title: 'B', views: 9 },
      { title: 'AA', views: 5 },
      { title: 'C', views: 5 },
    ]);
  });

  it('agrees with a full sort on random input', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      title: `T${i}`,
      views: Math.floor(random() * 50),
    }));
    const top = new TopN(25);
    for (const r of rows) top.offer(r);
    const expected = rows
      .filter((r) => r.views > 0)
      .sort((a, b) => b.views - a.views || (a.title < b.title ? -1 : 1))
      .slice(0, 25);
    expect(top.ranked()).toEqual(expected);
  });
});
