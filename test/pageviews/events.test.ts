/**
 * `analytics/pageview_hourly` events through the repo's schema registry and the
 * binding's domain checks (the ingest's admission path), their normalisation,
 * and dump lines through the same checks.
 */
import { readFileSync } from 'node:fs';
import { repoPath } from '../../platform/paths';
import { parseDumpLine, dumpHour, SKIP } from '../../subgraphs/pageviews/dump';
import {
  PAGEVIEW_HOURLY_SCHEMA_URI,
  toPageviewHour,
  type PageviewHourlyEvent,
} from '../../subgraphs/pageviews/events';
import { pageviewHourlyBinding } from '../../subgraphs/pageviews/product';
import { admit } from '../../streams/check';
import { loadEventSchemas } from '../../streams/schemas';

const schemas = loadEventSchemas();

function event(overrides: Partial<PageviewHourlyEvent> = {}): PageviewHourlyEvent {
  return {
    $schema: PAGEVIEW_HOURLY_SCHEMA_URI,
    meta: { stream: 'analytics.pageview_hourly', dt: '2024-08-24T14:00:03Z' },
    dt: '2024-08-24T13:00:00Z',
    wiki_id: 'enwiki',
    namespace_id: 0,
    page_title: 'Albert_Einstein',
    views: { desktop: { user: 10, spider: 1, automated: 0 }, mobile_web: { user: 20 } },
    ...overrides,
  };
}

function reason(value: unknown): string | null {
  const admitted = admit(JSON.stringify(value), schemas, pageviewHourlyBinding);
  return 'reason' in admitted ? admitted.reason : null;
}

describe('analytics/pageview_hourly schema', () => {
  it('is in the registry under its $id', () => {
    expect(schemas.ids()).toContain('/analytics/pageview_hourly/1.0.0');
  });

  it('admits its own example and a minimal event', () => {
    const schema = JSON.parse(
      readFileSync(repoPath('schema', 'events', 'analytics', 'pageview_hourly', '1.0.0.json'), 'utf8'),
    ) as { examples: unknown[] };
    expect(schema.examples.length).toBeGreaterThan(0);
    for (const example of schema.examples) expect(reason(example)).toBeNull();
    expect(reason(event({ views: { mobile_app: { spider: 0 } } }))).toBeNull();
  });

  it.each([
    ['no meta', { meta: undefined }, 'meta'],
    ['meta without stream', { meta: {} }, 'stream'],
    ['a count below zero', { views: { desktop: { user: -1 } } }, '/views/desktop/user'],
    ['a fractional count', { views: { desktop: { user: 1.5 } } }, '/views/desktop/user'],
    ['an unknown access method', { views: { tablet: { user: 1 } } }, 'tablet'],
    ['an unknown agent', { views: { desktop: { robot: 1 } } }, 'robot'],
    ['no counts at all', { views: {} }, '/views'],
    ['an empty access method', { views: { desktop: {} } }, '/views/desktop'],
    ['a dt that is no date-time', { dt: 'yesterday' }, '/dt'],
  ])('rejects %s', (_, overrides, mentions) => {
    const r = reason({ ...event(), ...overrides });
    expect(r).not.toBeNull();
    expect(r).toContain(mentions);
  });

  it.each([
    ['a dt that is not an hour start', { dt: '2024-08-24T13:30:00Z' }, 'not the start of an hour'],
    ['a wiki without an AQS project', { wiki_id: 'examplewiki2' }, 'examplewiki2'],
    ['a title with a space', { page_title: 'Albert Einstein' }, '/page_title'],
    ['a title over 255 bytes', { page_title: 'é'.repeat(128) }, '255 bytes'],
    ['a namespace the prefix contradicts', { page_title: 'Talk:Foo', namespace_id: 0 }, 'namespace 1'],
    ['a namespace without a prefix', { page_title: 'Foo', namespace_id: 1 }, 'no namespace prefix'],
    ['a count a day could overflow', { views: { desktop: { user: 10_000_000 } } }, 'du=10000000'],
  ])('dead-letters %s (domain check)', (_, overrides, mentions) => {
    const r = reason({ ...event(), ...overrides });
    expect(r).toContain(mentions);
  });

  it('accepts a namespace its prefix map does not know, when the title has a prefix', () => {
    expect(reason(event({ wiki_id: 'frwiki', page_title: 'Discussion:Paris', namespace_id: 1 }))).toBeNull();
  });
});

describe('toPageviewHour', () => {
  it('keeps only the measured cells, under AQS names', () => {
    expect(
      toPageviewHour(
        event({
          dt: '2024-08-24T15:00:00+02:00',
          wiki_id: 'dewiki',
          namespace_id: 1,
          page_title: 'Diskussion:Berlin',
          views: { desktop: { user: 3, automated: 0 }, mobile_app: { spider: 2 }, mobile_web: { user: 5 } },
        }),
      ),
    ).toEqual({
      wikiId: 'dewiki',
      project: 'de.wikipedia',
      namespace: 1,
      title: 'Diskussion:Berlin',
      hour: '2024082413',
      cells: { du: 3, db: 0, mas: 2, mwu: 5 },
    });
  });

  it('keys like Wikimedia: one article per partition', () => {
    expect(pageviewHourlyBinding.key(event())).toEqual({ wiki_id: 'enwiki', page_title: 'Albert_Einstein' });
  });
});

describe('dump files and lines', () => {
  it('takes the hour from the file name', () => {
    expect(dumpHour('/data/pageviews-20240824-130000.gz')).toBe('2024082413');
    expect(dumpHour('pageviews-20240824-230000')).toBe('2024082423');
    for (const bad of [
      'pageviews-20240824-130000.bz2',
      'pageviews-20240824-133000',
      'pageviews-20240230-010000',
      'pagecounts-20240824-130000.gz',
      'pageviews-20240824-240000',
    ])
      expect(dumpHour(bad)).toBeNull();
  });

  it('normalises a line into one measured cell', () => {
    expect(parseDumpLine('en Albert_Einstein 42 0', '2024082413')).toEqual({
      hour: {
        wikiId: 'enwiki',
        project: 'en.wikipedia',
        namespace: 0,
        title: 'Albert_Einstein',
        hour: '2024082413',
        cells: { du: 42 },
      },
    });
    expect(parseDumpLine('de.m Diskussion:Berlin 7 0', '2024082413')).toMatchObject({
      hour: { wikiId: 'dewiki', namespace: 1, title: 'Diskussion:Berlin', cells: { mwu: 7 } },
    });
  });

  it.each([
    ['en Foo 1', SKIP.malformed],
    ['en Foo 1 0 extra', SKIP.malformed],
    ['en Foo many 0', SKIP.malformed],
    ['en Foo -1 0', SKIP.malformed],
    ['en.f Foo 1 0', SKIP.unmappedDomain],
    ['xx.zz Foo 1 0', SKIP.unmappedDomain],
    ['en Foo 10000000 0', SKIP.invalid],
    [`en ${'x'.repeat(256)} 1 0`, SKIP.invalid],
  ])('skips %j as %s', (line, skip) => {
    expect(parseDumpLine(line, '2024082413')).toMatchObject({ skip });
  });
});
