/**
 * The top-list merge (top.ts) on its own: what a full list can settle
 * without a rebuild, what it cannot, stale updates, and AQS's JSON shape.
 */
import {
  mergeTopList,
  parseTopList,
  serializeTopList,
  TopListChanges,
  type TopEntry,
} from '../../subgraphs/pageviews/top';

const entry = (title: string, views: number, written = 1): TopEntry => ({ title, views, written });
const updates = (...u: [string, number, number?][]) =>
  new Map(u.map(([title, views, written = 2]) => [title, { views, written }]));

describe('mergeTopList', () => {
  const full = [entry('A', 30), entry('B', 20), entry('C', 10)];

  it('places raised and new articles, keeping ties by title', () => {
    expect(mergeTopList(full, updates(['C', 40], ['D', 20]), 3)).toEqual([
      entry('C', 40, 2),
      entry('A', 30),
      entry('B', 20),
    ]);
    expect(mergeTopList([entry('B', 5)], updates(['A', 5]), 3)).toEqual([entry('A', 5, 2), entry('B', 5)]);
  });

  it('says a full list needs a rebuild when its new tail ranks below the old one', () => {
    // C drops: an article off the list may have between 1 and 10 views.
    expect(mergeTopList(full, updates(['C', 1]), 3)).toBeNull();
    expect(mergeTopList(full, updates(['B', 0]), 3)).toBeNull();
    // A drop that stays above the old tail, or one made good by a newcomer, is settled.
    expect(mergeTopList(full, updates(['A', 15]), 3)).toEqual([
      entry('B', 20),
      entry('A', 15, 2),
      entry('C', 10),
    ]);
    expect(mergeTopList(full, updates(['C', 1], ['E', 12]), 3)).toEqual([
      entry('A', 30),
      entry('B', 20),
      entry('E', 12, 2),
    ]);
  });

  it('settles any change of a list that was never full, and drops zero rows', () => {
    expect(mergeTopList([entry('A', 30), entry('B', 20)], updates(['A', 1], ['B', 0]), 3)).toEqual([
      entry('A', 1, 2),
    ]);
  });

  it('ignores an update summed from older counts than the entry it would replace', () => {
    const stored = [entry('A', 30, 5)];
    expect(mergeTopList(stored, updates(['A', 99, 4]), 3)).toEqual(stored);
    expect(mergeTopList(stored, updates(['A', 99, 5]), 3)).toEqual([entry('A', 99, 5)]);
  });

  it('collects the newest change of an article per list', () => {
    const changes = new TopListChanges();
    const key = { project: 'en.wikipedia', access: 'desktop', period: '20240101' };
    changes.add(key, 'A', 5, 10);
    changes.add(key, 'A', 3, 9);
    changes.add({ ...key, period: '202401' }, 'A', 7, 10);
    expect(changes.size).toBe(2);
    expect([...changes.lists.values()][0]!.updates.get('A')).toEqual({ views: 5, written: 10 });
  });
});

it('stores a list as AQS’s articlesJSON shape, ranked from 1, and reads it back', () => {
  const list = [entry('Foo', 9, 3), entry('Bar_"x"', 2, 4)];
  const json = serializeTopList(list);
  expect(JSON.parse(json)).toEqual([
    { article: 'Foo', views: 9, rank: 1, written: 3 },
    { article: 'Bar_"x"', views: 2, rank: 2, written: 4 },
  ]);
  expect(parseTopList(json)).toEqual(list);
});
