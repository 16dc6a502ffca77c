/**
 * DataLoader batching: N editor references, or N blocks with their
 * administrators, cost one store read per level, not N. Counted at the store
 * port, on the real embedded adapter.
 */
import { blocksChangeUserChanges, pageChangeUserChanges } from '../../subgraphs/users/events';
import users from '../../subgraphs/users/product';
import { createEmbeddedUsersStore } from '../../subgraphs/users/store/embedded';
import type { UsersStore } from '../../subgraphs/users/store/port';
import { ADMIN, blocksChange, editBy } from './fixtures';
import { countingStore, serveProduct, type ProductOperations } from '../harness/subgraph';

const N = 30;
let ops: ProductOperations;
let counted: { store: UsersStore; calls: Record<string, number> };

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
  counted = countingStore(store);
  ops = await serveProduct(users, () => counted.store);
});

afterAll(() => ops.stop());

test('N entity references with their blocks and administrators cost one read per level', async () => {
  const representations = Array.from({ length: N }, (_, i) => ({
    __typename: 'User',
    wikiId: 'enwiki',
    name: `Editor ${i + 1}`,
  }));
  const data = await ops.data<{ _entities: { block: { blockedBy: { name: string } } }[] }>(
    `query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on User { name block { blockedBy { name editCount } } } } }`,
    { r: representations },
  );
  const entities = data._entities;
  expect(entities.map((e) => e.block.blockedBy.name)).toEqual(
    representations.map((_, i) => `Admin ${i + 1}`),
  );
  // One read for the editors, one for all their administrators.
  expect(counted.calls).toEqual({ usersByName: 2 });
});
