/**
 * DataLoader batching: N editor references, or N blocks with their
 * administrators, cost one store read per level, not N. Counted at the store
 * port, on the real embedded adapter.
 */
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { UsersContext } from '../../subgraphs/users/context';
import { blocksChangeUserChanges, pageChangeUserChanges } from '../../subgraphs/users/events';
import users from '../../subgraphs/users/product';
import { createEmbeddedUsersStore } from '../../subgraphs/users/store/embedded';
import type { UsersStore } from '../../subgraphs/users/store/port';
import { ADMIN, blocksChange, editBy } from './fixtures';

type Calls = Record<string, number>;

/** Counts calls per store method; everything else passes through to the real store. */
function counting(store: UsersStore): { store: UsersStore; calls: Calls } {
  const calls: Calls = {};
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

const N = 30;
let server: ApolloServer<UsersContext>;
let counted: { store: UsersStore; calls: Calls };

beforeAll(async () => {
  const store = createEmbeddedUsersStore();
  for (let i = 1; i <= N; i++) {
    const name = `Editor ${i}`;
    await store.applyChanges([
      ...pageChangeUserChanges(
        editBy({ user_text: name, user_id: i }, { dt: '2026-01-01T00:00:00Z', revId: 10 + i }),
      ),
      ...blocksChangeUserChanges(
        blocksChange({
          target: name,
          targetId: i,
          dt: '2026-01-02T00:00:00Z',
          // Every block by another administrator, all of them known users.
          performer: { ...ADMIN, user_text: `Admin ${i}`, user_id: 1000 + i },
        }),
      ),
    ]);
  }
  counted = counting(store);
  server = new ApolloServer<UsersContext>({
    schema: buildSubgraphSchema([
      { typeDefs: parse(readFileSync(users.sdlPath, 'utf8')), resolvers: users.resolvers },
    ]),
  });
  await server.start();
});

afterAll(() => server.stop());

test('N entity references with their blocks and administrators cost one read per level', async () => {
  const representations = Array.from({ length: N }, (_, i) => ({
    __typename: 'User',
    wikiId: 'enwiki',
    name: `Editor ${i + 1}`,
  }));
  const res = await server.executeOperation(
    {
      query: `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on User { name block { blockedBy { name editCount } } } } }`,
      variables: { r: representations },
    },
    { contextValue: users.context(counted.store) },
  );
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  expect(res.body.singleResult.errors).toBeUndefined();
  const entities = res.body.singleResult.data?._entities as { block: { blockedBy: { name: string } } }[];
  expect(entities.map((e) => e.block.blockedBy.name)).toEqual(
    representations.map((_, i) => `Admin ${i + 1}`),
  );
  // One read for the editors, one for all their administrators.
  expect(counted.calls).toEqual({ usersByName: 2 });
});
