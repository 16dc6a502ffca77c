/**
 * Resolvers of the `users` subgraph. They read only through the request's
 * DataLoader (see context.ts). A block is current while it has not expired:
 * the store keeps the newest block whatever its expiry, and the clock decides
 * at read time, because no event marks the moment a block runs out.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { DateTime } from '../../platform/graphql';
import type { UsersContext } from './context';
import type { BlockRecord, BlockRestriction, UserRecord } from './model';
import { canonicalUserName } from './names';
import { isBlockActive, isBotUser } from './state';

/** A block with the wiki it belongs to, so `blockedBy` can name a user of that wiki. */
interface BlockParent extends BlockRecord {
  wikiId: string;
}

function microsToIso(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

function nowMicros(): number {
  return Date.now() * 1000;
}

export const resolvers: GraphQLResolverMap<UsersContext> = {
  DateTime,
  Query: {
    user: (_: unknown, args: { wikiId: string; name: string }, ctx: UsersContext) =>
      ctx.userByName.load({ wikiId: args.wikiId, name: canonicalUserName(args.name) }),
  },
  User: {
    __resolveReference: (ref: { wikiId: string; name: string }, ctx: UsersContext) =>
      ctx.userByName.load({ wikiId: ref.wikiId, name: ref.name }),
    userId: (u: UserRecord) => (u.userId === null ? null : String(u.userId)),
    isAnonymous: (u: UserRecord) => u.userId === null,
    isBot: (u: UserRecord) => isBotUser(u),
    registeredAt: (u: UserRecord) => (u.registeredUs === null ? null : microsToIso(u.registeredUs)),
    firstSeenAt: (u: UserRecord) => microsToIso(u.firstSeenUs),
    block: (u: UserRecord): BlockParent | null =>
      isBlockActive(u.block, nowMicros()) ? { ...u.block, wikiId: u.wikiId } : null,
  },
  Block: {
    blockedAt: (b: BlockParent) => microsToIso(b.dtUs),
    blockedBy: (b: BlockParent, _: unknown, ctx: UsersContext) =>
      b.blockedBy === null ? null : ctx.userByName.load({ wikiId: b.wikiId, name: b.blockedBy }),
    expiry: (b: BlockParent) => (b.expiresUs === null ? null : microsToIso(b.expiresUs)),
  },
  BlockRestriction: {
    kind: (r: BlockRestriction) => (r.type === 'page' ? 'PAGE' : 'NAMESPACE'),
    pageId: (r: BlockRestriction) => (r.type === 'page' ? String(r.value) : null),
    namespace: (r: BlockRestriction) => (r.type === 'ns' ? r.value : null),
  },
};
