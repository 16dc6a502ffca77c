/**
 * How user changes fold into state. These rules are the product's correctness:
 * both store adapters implement exactly them (the embedded one by calling these
 * functions, the MariaDB one in its upsert statement), and the store contract
 * suite checks both against the same histories.
 *
 * Events arrive at least once and out of order: a consumer that restarts before
 * committing redelivers, and one user's page changes are spread over many
 * partitions (page_change is keyed by page). So every rule is idempotent
 * (applying a change twice changes nothing) and order-free wherever the events'
 * times differ. Equal times are the one place where order decides: the
 * later-applied change wins, as in the `pages` product.
 *
 *  - userId, isBot and groups each follow the newest event (dt) that states
 *    them; an event that does not state one (an anonymous editor has no groups,
 *    a block target no bot flag) leaves it alone. Each keeps its own version,
 *    so that an old event that states a fact can never displace a newer one, in
 *    any order.
 *  - editCount is the highest count reported: MediaWiki's counter only grows,
 *    and events taken at different times report different counts.
 *  - registeredUs is the earliest registration time reported (it never changes,
 *    so the minimum is just an order-free "first known").
 *  - firstSeenUs is the earliest event time.
 *  - block is the newest blocks-change (by dt) for the user, replaced whole: the
 *    event carries the block's complete current state, not a delta.
 */
import type { BlockRecord, UserChange, UserRecord } from './model';

/** The newer of two versioned facts; a fact not stated (null) never wins; ties go to `incoming`. */
function newest<T>(
  existing: T | null,
  existingDtUs: number | null,
  incoming: T | null,
  incomingDtUs: number,
): { value: T | null; dtUs: number | null } {
  if (incoming !== null && (existingDtUs === null || incomingDtUs >= existingDtUs)) {
    return { value: incoming, dtUs: incomingDtUs };
  }
  return { value: existing, dtUs: existingDtUs };
}

function fold(a: number | null, b: number | null, pick: (x: number, y: number) => number): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return pick(a, b);
}

function copyBlock(block: BlockRecord | null): BlockRecord | null {
  return block ? { ...block, restrictions: block.restrictions.map((r) => ({ ...r })) } : null;
}

export function copyUser(user: UserRecord): UserRecord {
  return { ...user, groups: user.groups ? [...user.groups] : null, block: copyBlock(user.block) };
}

/** The user row after `change` is applied to `existing` (undefined: no row yet). */
export function mergeUser(existing: UserRecord | undefined, change: UserChange): UserRecord {
  const { user, block } = change;
  const base: UserRecord = existing ?? {
    wikiId: user.wikiId,
    name: user.name,
    userId: null,
    userIdDtUs: null,
    isBot: null,
    isBotDtUs: null,
    groups: null,
    groupsDtUs: null,
    editCount: null,
    registeredUs: null,
    firstSeenUs: user.dtUs,
    block: null,
  };
  const userId = newest(base.userId, base.userIdDtUs, user.userId, user.dtUs);
  const isBot = newest(base.isBot, base.isBotDtUs, user.isBot, user.dtUs);
  const groups = newest(base.groups, base.groupsDtUs, user.groups, user.dtUs);
  const newerBlock = block !== null && (base.block === null || block.dtUs >= base.block.dtUs);
  return {
    wikiId: base.wikiId,
    name: base.name,
    userId: userId.value,
    userIdDtUs: userId.dtUs,
    isBot: isBot.value,
    isBotDtUs: isBot.dtUs,
    groups: groups.value ? [...groups.value] : null,
    groupsDtUs: groups.dtUs,
    editCount: fold(base.editCount, user.editCount, Math.max),
    registeredUs: fold(base.registeredUs, user.registeredUs, Math.min),
    firstSeenUs: Math.min(base.firstSeenUs, user.dtUs),
    block: copyBlock(newerBlock ? block : base.block),
  };
}

/** Whether a block is in force at `nowUs`: it has not reached its expiry (an indefinite one never does). */
export function isBlockActive(block: BlockRecord | null, nowUs: number): block is BlockRecord {
  return block !== null && (block.expiresUs === null || block.expiresUs > nowUs);
}

/** A user's bot flag: as the newest event stated it, else by the `bot` group, else false. */
export function isBotUser(user: Pick<UserRecord, 'isBot' | 'groups'>): boolean {
  return user.isBot ?? user.groups?.includes('bot') ?? false;
}
