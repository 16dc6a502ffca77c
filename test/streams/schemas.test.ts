import { readFileSync } from 'node:fs';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadEventSchemas } from '../../streams/schemas';

// Wikimedia's example event, as copied verbatim into the repo for the demo feeder.
const EXAMPLES = path.join(__dirname, '..', '..', 'demo', 'examples');
const TITLE = 'mediawiki/page/change';

function example(file: string): Record<string, unknown> {
  const line = readFileSync(path.join(EXAMPLES, file), 'utf8').split('\n')[0]!;
  return JSON.parse(line) as Record<string, unknown>;
}

describe('event schemas', () => {
  const schemas = loadEventSchemas();

  test('loads every schema under schema/events by $id', () => {
    expect(schemas.ids()).toEqual([
      '/analytics/pageview_hourly/1.0.0',
      '/mediawiki/page/change/1.0.0',
      '/mediawiki/page/change/1.1.0',
      '/mediawiki/page/change/1.2.0',
      '/mediawiki/user/blocks-change/1.0.0',
      '/mediawiki/user/blocks-change/1.1.0',
      '/sdp/audit/1.0.0',
    ]);
  });

  test("Wikimedia's example page_change event validates", () => {
    expect(schemas.validate(example('mediawiki.page_change.v1.ndjson'), TITLE)).toEqual({ ok: true });
  });

  test('the example validates against the older 1.1.0 schema it also fits', () => {
    const event = { ...example('mediawiki.page_change.v1.ndjson'), $schema: '/mediawiki/page/change/1.1.0' };
    expect(schemas.validate(event, TITLE)).toEqual({ ok: true });
  });

  test('a broken event gets a reason naming each field', () => {
    const event = example('mediawiki.page_change.v1.ndjson');
    (event.page as Record<string, unknown>).page_id = 'twelve';
    delete event.wiki_id;
    event.dt = 'yesterday';
    event.changelog_kind = 'upsert';
    event.surprise = true;
    const result = schemas.validate(event, TITLE);
    expect(result.ok).toBe(false);
    const reason = result.ok ? '' : result.reason;
    expect(reason).toContain("(event) must have required property 'wiki_id'");
    expect(reason).toContain('/page/page_id must be integer');
    expect(reason).toContain('/dt must match format "date-time"');
    expect(reason).toContain(
      '/changelog_kind must be equal to one of the allowed values ("insert", "update", "delete")',
    );
    expect(reason).toContain('(event) must NOT have additional properties (surprise)');
  });

  test('a reason lists at most five errors and counts the rest', () => {
    const event = example('mediawiki.page_change.v1.ndjson');
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) event[`extra_${k}`] = 1;
    const result = schemas.validate(event, TITLE);
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/; and 2 more$/) });
  });

  test('an unknown $schema, a missing one and a non-object are rejected with the cause', () => {
    const event = example('mediawiki.page_change.v1.ndjson');
    expect(schemas.validate({ ...event, $schema: '/mediawiki/page/change/9.0.0' }, TITLE)).toEqual({
      ok: false,
      reason: 'unknown $schema "/mediawiki/page/change/9.0.0": not in schema/events/',
    });
    const { $schema: _dropped, ...withoutSchema } = event;
    expect(schemas.validate(withoutSchema, TITLE)).toEqual({
      ok: false,
      reason: 'event has no $schema string',
    });
    expect(schemas.validate([event], TITLE)).toEqual({ ok: false, reason: 'event is not a JSON object' });
    expect(schemas.validate(null, TITLE)).toEqual({ ok: false, reason: 'event is not a JSON object' });
  });

  test('an event of another schema title is rejected even when that schema is known', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sdp-schemas-'));
    mkdirSync(path.join(dir, 'test', 'other'), { recursive: true });
    writeFileSync(
      path.join(dir, 'test', 'other', '1.0.0.json'),
      JSON.stringify({
        $id: '/test/other/1.0.0',
        title: 'test/other',
        $schema: 'https://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['$schema'],
        properties: { $schema: { type: 'string' } },
      }),
    );
    const other = loadEventSchemas(dir);
    expect(other.ids()).toEqual(['/test/other/1.0.0']);
    expect(other.validate({ $schema: '/test/other/1.0.0' }, 'test/other')).toEqual({ ok: true });
    expect(other.validate({ $schema: '/test/other/1.0.0' }, TITLE)).toEqual({
      ok: false,
      reason: '$schema /test/other/1.0.0 is a test/other schema, this stream carries mediawiki/page/change',
    });
  });

  test('an event of an unrelated Wikimedia stream is rejected', () => {
    const revisionCreate = {
      ...example('mediawiki.page_change.v1.ndjson'),
      $schema: '/mediawiki/revision/create/2.0.0',
    };
    const result = schemas.validate(revisionCreate, TITLE);
    expect(result).toEqual({
      ok: false,
      reason: 'unknown $schema "/mediawiki/revision/create/2.0.0": not in schema/events/',
    });
  });
});
