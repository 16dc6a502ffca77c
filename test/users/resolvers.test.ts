/**
 * The `users` subgraph's API on the real embedded store: lookups by name and by
 * entity reference, what is derived (anonymous, bot, current block) and block
 * expiry. Expiries are far in the past or the future, so no assertion depends
 * on when the test runs.
 */
import { blocksChangeUserChanges, pageChangeUserChanges } from '../../subgraphs/users/events';
import users from '../../subgraphs/users/product';
import { createEmbeddedUsersStore } from '../../subgraphs/users/store/embedded';
import type { UsersStore } from '../../subgraphs/users/store/port';
import { ADMIN, blocksChange, editBy } from './fixtures';
import { serveProduct, type ProductOperations } from '../harness/subgraph';

let store: UsersStore;
let ops: ProductOperations;
const data = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  ops.data<T>(query, variables);

beforeAll(async () => {
  ops = await serveProduct(users, () => store);
});

afterAll(() => ops.stop());

beforeEach(async () => {
  store = createEmbeddedUsersStore();
  await store.applyChanges([
    ...pageChangeUserChanges(
      editBy(
        {
          user_text: 'Alice',
          user_id: 42,
          groups: ['*', 'user', 'autoconfirmed'],
          is_bot: false,
          edit_count: 1200,
          registration_dt: '2019-05-01T10:00:00Z',
        },
        { dt: '2026-01-02T00:00:00.250Z', revId: 10 },
      ),
    ),
    ...pageChangeUserChanges(
      editBy(
        { user_text: 'Tidy Bot', user_id: 7, groups: ['bot', '*', 'user'] },
        { dt: '2026-01-03T00:00:00Z', revId: 11 },
      ),
    ),
    ...pageChangeUserChanges(
      editBy({ user_text: '192.0.2.1', is_bot: false }, { dt: '2026-01-04T00:00:00Z', revId: 12 }),
    ),
    // An indefinite partial block of the IP, and an expired one of Alice.
    ...blocksChangeUserChanges(
      blocksChange({
        target: '192.0.2.1',
        dt: '2026-01-05T00:00:00Z',
        reason: 'Vandalism',
        blocks: {
          sitewide: false,
          restrictions: [
            { type: 'page', value: 77 },
            { type: 'ns', value: 4 },
          ],
          user_talk: true,
        },
      }),
    ),
    ...blocksChangeUserChanges(
      blocksChange({
        target: 'Alice',
        targetId: 42,
        dt: '2000-01-01T00:00:00Z',
        expiry: '2000-01-02T00:00:00Z',
      }),
    ),
  ]);
});

const USER = `query ($name: String!) {
  user(wikiId: "enwiki", name: $name) {
    wikiId name userId isAnonymous isBot groups editCount registeredAt firstSeenAt
    block {
      blockedAt expiry reason isSitewide blocksEmail blocksOwnTalkPage blocksAccountCreation hidesName
      restrictions { kind pageId namespace }
      blockedBy { name groups }
    }
  }
}`;

describe('Query.user', () => {
  it('returns an account with what the events said', async () => {
    expect(await data(USER, { name: 'Alice' })).toEqual({
      user: {
        wikiId: 'enwiki',
        name: 'Alice',
        userId: '42',
        isAnonymous: false,
        isBot: false,
        groups: ['*', 'user', 'autoconfirmed'],
        editCount: 1200,
        registeredAt: '2019-05-01T10:00:00.000Z',
        // The 2000 block mentioned Alice first.
        firstSeenAt: '2000-01-01T00:00:00.000Z',
        // It expired in 2000.
        block: null,
      },
    });
  });

  it('returns an anonymous editor with the block in force', async () => {
    expect(await data(USER, { name: '192.0.2.1' })).toEqual({
      user: {
        wikiId: 'enwiki',
        name: '192.0.2.1',
        userId: null,
        isAnonymous: true,
        isBot: false,
        groups: ['*'],
        editCount: null,
        registeredAt: null,
        firstSeenAt: '2026-01-04T00:00:00.000Z',
        block: {
          blockedAt: '2026-01-05T00:00:00.000Z',
          expiry: null,
          reason: 'Vandalism',
          isSitewide: false,
          blocksEmail: false,
          blocksOwnTalkPage: true,
          blocksAccountCreation: true,
          hidesName: false,
          restrictions: [
            { kind: 'PAGE', pageId: '77', namespace: null },
            { kind: 'NAMESPACE', pageId: null, namespace: 4 },
          ],
          blockedBy: { name: ADMIN.user_text, groups: ADMIN.user_groups },
        },
      },
    });
  });

  it('shows a timed block until it expires', async () => {
    await store.applyChanges(
      blocksChangeUserChanges(
        blocksChange({
          target: 'Alice',
          targetId: 42,
          dt: '2026-02-01T00:00:00Z',
          expiry: '2999-01-01T00:00:00Z',
        }),
      ),
    );
    const { user } = await data<{ user: { block: { expiry: string; isSitewide: boolean } } }>(USER, {
      name: 'Alice',
    });
    expect(user.block).toMatchObject({ expiry: '2999-01-01T00:00:00.000Z', isSitewide: true });
  });

  it('derives the bot flag from the groups when no event stated it', async () => {
    const { user } = await data<{ user: { isBot: boolean } }>(USER, { name: 'Tidy Bot' });
    expect(user.isBot).toBe(true);
  });

  it('reads the name as MediaWiki does: underscores as spaces, IP addresses in any form', async () => {
    await store.applyChanges(
      pageChangeUserChanges(
        editBy({ user_text: '2001:DB8:0:0:0:0:0:1' }, { dt: '2026-01-06T00:00:00Z', revId: 20 }),
      ),
    );
    const ids = async (name: string) =>
      (await data<{ user: { name: string } | null }>(USER, { name })).user?.name ?? null;
    expect(await ids('Tidy_Bot')).toBe('Tidy Bot');
    expect(await ids('2001:db8::1')).toBe('2001:DB8:0:0:0:0:0:1');
    expect(await ids('192.000.002.001')).toBe('192.0.2.1');
  });

  it('is null for a name no event mentioned; letter case is exact', async () => {
    expect(await data(USER, { name: 'Nobody' })).toEqual({ user: null });
    expect(await data(USER, { name: 'alice' })).toEqual({ user: null });
  });
});

describe('User entity references', () => {
  it('resolves the editors the pages product references, null for unknown ones', async () => {
    const { _entities } = await data<{ _entities: ({ name: string; isAnonymous: boolean } | null)[] }>(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { name isAnonymous } } }`,
      {
        r: [
          { __typename: 'User', wikiId: 'enwiki', name: '192.0.2.1' },
          { __typename: 'User', wikiId: 'enwiki', name: 'Alice' },
          { __typename: 'User', wikiId: 'dewiki', name: 'Alice' },
        ],
      },
    );
    expect(_entities).toEqual([
      { name: '192.0.2.1', isAnonymous: true },
      { name: 'Alice', isAnonymous: false },
      null,
    ]);
  });
});
