/**
 * `UsersStore` in process memory, for running without a database server. State
 * dies with the process (`durable: false`), so the platform replays the streams.
 * The rules are `state.ts` itself.
 */
import type { UserChange, UserRecord } from '../model';
import { copyUser, mergeUser } from '../state';
import type { UsersStore } from './port';

export function createEmbeddedUsersStore(): UsersStore {
  const wikis = new Map<string, Map<string, UserRecord>>();

  return {
    description: 'embedded (in-process memory, not durable)',
    durable: false,

    async applyChanges(changes: readonly UserChange[]) {
      // Folded into a staging area and published only when the whole batch has
      // folded, so a batch that throws leaves the store as it was.
      const staged = new Map<string, Map<string, UserRecord>>();
      for (const change of changes) {
        const { wikiId, name } = change.user;
        let wiki = staged.get(wikiId);
        if (!wiki) staged.set(wikiId, (wiki = new Map()));
        wiki.set(name, mergeUser(wiki.get(name) ?? wikis.get(wikiId)?.get(name), change));
      }
      for (const [wikiId, users] of staged) {
        let wiki = wikis.get(wikiId);
        if (!wiki) wikis.set(wikiId, (wiki = new Map()));
        for (const [name, user] of users) wiki.set(name, user);
      }
    },

    async usersByName(keys) {
      return keys.map((k) => {
        const user = wikis.get(k.wikiId)?.get(k.name);
        return user ? copyUser(user) : null;
      });
    },

    async reset() {
      wikis.clear();
    },

    async close() {
      wikis.clear();
    },
  };
}
