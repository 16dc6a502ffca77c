/**
 * The `users` data product: the people behind edits (accounts and anonymous
 * editors), their groups, bot flags, edit counts and blocks, fed by the
 * `mediawiki.page_change.v1` and `mediawiki.user-blocks-change` streams and
 * served as the `users` subgraph, which resolves the `editor` references the
 * `pages` product returns.
 */
import type { DataProduct, StreamBinding } from '../../platform/product';
import { repoPath } from '../../platform/paths';
import {
  PAGE_CHANGE_SCHEMA_TITLE,
  PAGE_CHANGE_STREAM,
  pageChangeKey,
  type PageChangeEvent,
} from '../../streams/contracts/page-change';
import { createUsersContext, type UsersContext } from './context';
import {
  blocksChangeInvalidReason,
  blocksChangeUserChanges,
  pageChangeUserChanges,
  USER_BLOCKS_CHANGE_SCHEMA_TITLE,
  USER_BLOCKS_CHANGE_STREAM,
  userBlocksChangeKey,
  usersPageChangeInvalidReason,
  type BlocksChangeEvent,
} from './events';
import { resolvers } from './resolvers';
import { openUsersStore } from './store';
import type { UsersStore } from './store/port';

/** page_change as `pages` binds it (same title, same key: they are the stream's), read for its users. */
export const usersPageChangeBinding: StreamBinding<UsersStore, PageChangeEvent> = {
  stream: PAGE_CHANGE_STREAM,
  schemaTitle: PAGE_CHANGE_SCHEMA_TITLE,
  invalidReason: usersPageChangeInvalidReason,
  key: pageChangeKey,
  apply: (store, events) => store.applyChanges(events.flatMap((e) => pageChangeUserChanges(e.event))),
};

export const userBlocksChangeBinding: StreamBinding<UsersStore, BlocksChangeEvent> = {
  stream: USER_BLOCKS_CHANGE_STREAM,
  schemaTitle: USER_BLOCKS_CHANGE_SCHEMA_TITLE,
  invalidReason: blocksChangeInvalidReason,
  key: userBlocksChangeKey,
  apply: (store, events) => store.applyChanges(events.flatMap((e) => blocksChangeUserChanges(e.event))),
};

const users: DataProduct<UsersStore, UsersContext> = {
  name: 'users',
  description:
    'The people behind edits: accounts and anonymous editors, their groups, bot flags, edit counts and current blocks.',
  owner: 'MediaWiki Platform',
  // GraphiQL opens anonymously: the example shows only what anyone may read.
  exampleQuery: `# Editors' names, name lookups and block reasons are personal data: anonymous callers get
# everything else. With a key holding pii:read (\`npx sdp keys create --name me --scopes pii:read\`,
# then {"Authorization": "Bearer <key>"} in the Headers tab) add \`name\` to the editor and
# \`user(wikiId: "enwiki", name: "Nettlebrook")\` works too.
query EditorsAndBlocks {
  pages(wikiId: "enwiki", first: 5) {
    edges {
      node {
        title
        latestRevision {
          editor {
            isAnonymous
            isBot
            editCount
            firstSeenAt
            block {
              expiry
              isSitewide
            }
          }
        }
      }
    }
  }
}`,
  portOffset: 1,
  sdlPath: repoPath('schema', 'users.graphql'),
  openStore: openUsersStore,
  resolvers,
  context: createUsersContext,
  streams: [usersPageChangeBinding, userBlocksChangeBinding],
};

export default users;
