/**
 * The `users` product's reading of its two streams: what each event says about
 * which users, the domain checks that dead-letter what the store cannot hold,
 * and the message key of blocks-change.
 */
import { readFileSync } from 'node:fs';
import { repoPath } from '../../platform/paths';
import { rejectReason } from '../../streams/check';
import { loadEventSchemas } from '../../streams/schemas';
import { isoToMicros } from '../../streams/contracts/page-change';
import {
  blocksChangeInvalidReason,
  blocksChangeUserChanges,
  pageChangeUserChanges,
  toBlockRecord,
  userBlocksChangeKey,
  usersPageChangeInvalidReason,
  type BlocksChangeEvent,
} from '../../subgraphs/users/events';
import { userBlocksChangeBinding, usersPageChangeBinding } from '../../subgraphs/users/product';
import { pageChange } from '../fixtures/page-change';
import { ADMIN, blocksChange, editBy } from './fixtures';

const schemas = loadEventSchemas();
const example = JSON.parse(
  readFileSync(repoPath('demo', 'examples', 'mediawiki.user-blocks-change.ndjson'), 'utf8'),
) as BlocksChangeEvent;

describe('fixtures and examples', () => {
  it.each([
    ['the upstream example', example],
    ['a 1.1.0 partial block', blocksChange({ target: 'Vandal', targetId: 9, dt: '2026-01-01T00:00:00Z' })],
    [
      'a 1.0.0 block without performer',
      blocksChange({
        target: '192.0.2.7',
        dt: '2026-01-01T00:00:00Z',
        schemaVersion: '1.0.0',
        performer: null,
      }),
    ],
  ])('%s is admitted to the blocks-change stream', (_what, event) => {
    expect(rejectReason(event, schemas, userBlocksChangeBinding)).toBeNull();
  });

  it('an edit with full user entities is admitted to page_change', () => {
    const event = editBy(
      {
        user_text: 'Alice',
        user_id: 42,
        groups: ['*', 'user'],
        is_bot: false,
        edit_count: 10,
        registration_dt: '2020-01-01T00:00:00Z',
      },
      { dt: '2026-01-01T00:00:00Z', revId: 2 },
    );
    expect(rejectReason(event, schemas, usersPageChangeBinding)).toBeNull();
  });

  it('a literal "infinity" expiry is not a date-time: MediaWiki states infinity by omitting expiry_dt', () => {
    const event = blocksChange({ target: 'X', dt: '2026-01-01T00:00:00Z', expiry: 'infinity' });
    expect(rejectReason(event, schemas, userBlocksChangeBinding)).toMatch(
      /expiry_dt must match format "date-time"/,
    );
  });
});

describe('pageChangeUserChanges', () => {
  it('reads the editor and the performer with every fact they carry', () => {
    const event = editBy(
      {
        user_text: 'Alice',
        user_id: 42,
        groups: ['*', 'user'],
        is_bot: false,
        edit_count: 10,
        registration_dt: '2020-01-01T00:00:00.5Z',
      },
      { dt: '2026-01-01T00:00:00.123456Z', revId: 2 },
    );
    event.performer = { user_text: 'Tidy Bot', user_id: 7, is_bot: true, groups: ['bot'] };
    expect(pageChangeUserChanges(event)).toEqual([
      {
        user: {
          wikiId: 'enwiki',
          name: 'Alice',
          dtUs: Date.UTC(2026, 0, 1) * 1000 + 123456,
          userId: 42,
          isBot: false,
          groups: ['*', 'user'],
          editCount: 10,
          registeredUs: Date.UTC(2020, 0, 1) * 1000 + 500_000,
        },
        block: null,
      },
      {
        user: {
          wikiId: 'enwiki',
          name: 'Tidy Bot',
          dtUs: Date.UTC(2026, 0, 1) * 1000 + 123456,
          userId: 7,
          isBot: true,
          groups: ['bot'],
          editCount: null,
          registeredUs: null,
        },
        block: null,
      },
    ]);
  });

  it('knows only what an anonymous editor entity says, and nothing of an editor hidden by revision deletion', () => {
    const anon = editBy({ user_text: '192.0.2.1', is_bot: false }, { dt: '2026-01-01T00:00:00Z', revId: 2 });
    expect(pageChangeUserChanges(anon).map((c) => c.user)).toEqual([
      expect.objectContaining({
        name: '192.0.2.1',
        userId: null,
        groups: null,
        editCount: null,
        isBot: false,
      }),
      expect.objectContaining({ name: '192.0.2.1' }),
    ]);
    const hidden = pageChange({
      kind: 'visibility_change',
      pageId: 1,
      title: 'P',
      revId: 3,
      visibility: { editor: false },
    });
    hidden.performer = { user_text: 'Oversighter', user_id: 3 };
    expect(pageChangeUserChanges(hidden).map((c) => c.user.name)).toEqual(['Oversighter']);
  });

  it('treats user id 0 as "no account"', () => {
    const event = editBy({ user_text: '192.0.2.1', user_id: 0 }, { dt: '2026-01-01T00:00:00Z', revId: 2 });
    expect(pageChangeUserChanges(event)[0]!.user.userId).toBeNull();
  });
});

describe('blocksChangeUserChanges', () => {
  it('gives the target its block and groups, and the performer its facts', () => {
    const [target, performer, ...rest] = blocksChangeUserChanges(example);
    expect(rest).toEqual([]);
    const dtUs = isoToMicros('2020-01-01T00:00:01Z');
    expect(target).toEqual({
      user: {
        wikiId: 'examplewiki',
        name: '1.2.3.4',
        dtUs,
        userId: null,
        isBot: null,
        groups: ['*'],
        editCount: null,
        registeredUs: null,
      },
      block: {
        dtUs,
        expiresUs: isoToMicros('2040-01-01T00:00:01Z'),
        reason: 'blocking comment',
        blockedBy: 'PermormerUser',
        hidesName: false,
        blocksEmail: false,
        blocksOwnTalkPage: false,
        blocksAccountCreation: true,
        // The example lists a page restriction and omits `sitewide`: a partial block.
        isSitewide: false,
        restrictions: [{ type: 'page', value: 1 }],
      },
    });
    expect(performer).toEqual({
      user: {
        wikiId: 'examplewiki',
        name: 'PermormerUser',
        dtUs,
        userId: 1234567,
        isBot: true,
        groups: ['user', 'bot'],
        editCount: 0,
        registeredUs: isoToMicros('2019-01-01T00:00:01Z'),
      },
      block: null,
    });
  });

  it('reads a missing expiry as indefinite, and a 1.0.0 block as sitewide', () => {
    const block = toBlockRecord(
      blocksChange({
        target: 'X',
        dt: '2026-01-01T00:00:00Z',
        schemaVersion: '1.0.0',
        blocks: { name: true, user_talk: true },
      }),
    );
    expect(block).toMatchObject({
      expiresUs: null,
      isSitewide: true,
      restrictions: [],
      hidesName: true,
      blocksOwnTalkPage: true,
      reason: null,
    });
  });

  it('names no performer when the event has none', () => {
    const changes = blocksChangeUserChanges(
      blocksChange({ target: 'X', dt: '2026-01-01T00:00:00Z', performer: null }),
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]!.block?.blockedBy).toBeNull();
  });
});

describe('domain checks', () => {
  const long = 'U'.repeat(256);
  const dt = '2026-01-01T00:00:00Z';

  it('accepts names of 255 characters, counting characters, not bytes', () => {
    expect(blocksChangeInvalidReason(blocksChange({ target: 'Ä'.repeat(255), dt }))).toBeNull();
    expect(usersPageChangeInvalidReason(editBy({ user_text: 'Ä'.repeat(255) }, { dt, revId: 2 }))).toBeNull();
  });

  it.each<[string, BlocksChangeEvent, string]>([
    ['target name', blocksChange({ target: long, dt }), 'user_text is longer than 255 characters'],
    [
      'wiki',
      blocksChange({ target: 'X', dt, wikiId: 'w'.repeat(65) }),
      'database is longer than 64 characters',
    ],
    ['negative id', blocksChange({ target: 'X', targetId: -1, dt }), 'user_id is negative'],
    [
      'reason',
      blocksChange({ target: 'X', dt, reason: 'é'.repeat(40000) }),
      'comment is longer than 65535 bytes',
    ],
    [
      'performer name',
      blocksChange({ target: 'X', dt, performer: { ...ADMIN, user_text: long } }),
      '/performer/user_text is longer than 255 characters',
    ],
    [
      'restriction list',
      blocksChange({
        target: 'X',
        dt,
        blocks: {
          restrictions: Array.from({ length: 3000 }, (_, i) => ({ type: 'page' as const, value: 1e15 + i })),
        },
      }),
      '/blocks/restrictions is longer than 65535 bytes',
    ],
  ])('refuses a blocks-change with an over-long or impossible %s', (_what, event, reason) => {
    expect(rejectReason(event, schemas, userBlocksChangeBinding)).toBe(reason);
  });

  it('refuses a page_change whose performer or editor the store cannot hold', () => {
    const byLongPerformer = editBy({ user_text: 'Alice' }, { dt, revId: 2 });
    byLongPerformer.performer = { user_text: long };
    expect(usersPageChangeInvalidReason(byLongPerformer)).toBe(
      '/performer/user_text is longer than 255 characters',
    );
    const manyGroups = editBy(
      { user_text: 'Alice', groups: Array.from({ length: 10000 }, (_, i) => `group-${i}`) },
      { dt, revId: 2 },
    );
    expect(usersPageChangeInvalidReason(manyGroups)).toBe(
      '/revision/editor/groups is longer than 65535 bytes',
    );
  });
});

test("blocks-change is keyed by wiki and target, so one user's blocks stay in order in one partition", () => {
  expect(userBlocksChangeKey(example)).toEqual({ wiki_id: 'examplewiki', user_text: '1.2.3.4' });
  // page_change keeps the stream's own key, shared with the pages product.
  const edit = pageChange({ kind: 'edit', pageId: 12, title: 'P', revId: 3 });
  expect(usersPageChangeBinding.key(edit)).toEqual({ wiki_id: 'enwiki', page_id: 12 });
});
