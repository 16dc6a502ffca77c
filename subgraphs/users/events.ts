/**
 * The events the `users` product reads and their normalisation into
 * `UserChange`s (see `model.ts`):
 *  - `mediawiki/page/change` 1.x (stream `mediawiki.page_change.v1`), whose
 *    contract is streams/contracts/page-change.ts: each event
 *    tells about its performer and its revision's editor;
 *  - `mediawiki/user/blocks-change` 1.x (stream `mediawiki.user-blocks-change`),
 *    in the older Event Platform layout (`database` and `meta.dt` rather than
 *    `wiki_id` and `dt`; `user_*` field names): each event states the target's
 *    whole current block and tells about the target and the performer.
 * Only the fields read here are typed; the JSON schemas under schema/events/
 * are the full contracts and have validated every event that reaches this file.
 */
import {
  isoToMicros,
  LIMITS,
  type PageChangeEvent,
  type UserEntity,
} from '../../streams/contracts/page-change';
import type { BlockRecord, UserChange, UserObservation } from './model';

export const USER_BLOCKS_CHANGE_STREAM = 'mediawiki.user-blocks-change';
export const USER_BLOCKS_CHANGE_SCHEMA_TITLE = 'mediawiki/user/blocks-change';

/** The block state fields of blocks-change (`blocks` and `prior_state.blocks`). */
export interface BlocksEntity {
  name: boolean;
  email: boolean;
  user_talk: boolean;
  account_create: boolean;
  /** Absent when the block does not expire (MediaWiki's `infinity`). */
  expiry_dt?: string;
  /** 1.1.0 and later. */
  sitewide?: boolean;
  /** 1.1.0 and later. */
  restrictions?: { type: 'page' | 'ns'; value: number }[];
}

/** A performer in the older Event Platform layout. */
export interface LegacyPerformer {
  user_text: string;
  user_groups: string[];
  user_is_bot: boolean;
  user_id?: number;
  user_registration_dt?: string;
  user_edit_count?: number;
}

export interface BlocksChangeEvent {
  $schema: string;
  meta: { stream: string; dt: string; domain?: string; id?: string; request_id?: string; uri?: string };
  /** Wiki database name (the newer schemas' `wiki_id`). */
  database: string;
  /** The block reason. */
  comment?: string;
  performer?: LegacyPerformer;
  /** The blocked user: a name, an IP address or an IP range. */
  user_text: string;
  user_id?: number;
  user_groups?: string[];
  blocks: BlocksEntity;
  prior_state?: { blocks?: BlocksEntity };
}

/**
 * What the store can hold beyond the pages limits (MariaDB TEXT columns hold
 * 65,535 bytes). An event beyond them is dead-lettered instead of failing its
 * batch forever.
 */
export const USER_LIMITS = {
  wikiIdChars: LIMITS.wikiIdChars,
  userNameChars: LIMITS.userNameChars,
  /** Groups are stored as one JSON array. */
  groupsJsonBytes: 65535,
  reasonBytes: 65535,
  /** Restrictions are stored as one JSON array. */
  restrictionsJsonBytes: 65535,
} as const;

type Check = string | null;

function tooLong(what: string, value: string | undefined, max: number): Check {
  return value !== undefined && [...value].length > max ? `${what} is longer than ${max} characters` : null;
}

function tooManyBytes(what: string, value: unknown, max: number): Check {
  if (value === undefined) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.byteLength(text) > max ? `${what} is longer than ${max} bytes` : null;
}

/** MediaWiki user ids are positive (0 stands for "no account"); the store holds no negative one. */
function negativeId(what: string, id: number | undefined): Check {
  return id !== undefined && id < 0 ? `${what} is negative` : null;
}

function pageChangeUserReason(path: string, user: UserEntity | undefined): Check {
  return (
    tooLong(`${path}/user_text`, user?.user_text, USER_LIMITS.userNameChars) ??
    tooManyBytes(`${path}/groups`, user?.groups, USER_LIMITS.groupsJsonBytes)
  );
}

/** Why the users store cannot hold what a schema-valid page_change event says, or null when it can. */
export function usersPageChangeInvalidReason(event: PageChangeEvent): string | null {
  return (
    tooLong('wiki_id', event.wiki_id, USER_LIMITS.wikiIdChars) ??
    pageChangeUserReason('/revision/editor', event.revision.editor) ??
    pageChangeUserReason('/performer', event.performer)
  );
}

/** Why a schema-valid blocks-change event cannot be stored, or null when it can. */
export function blocksChangeInvalidReason(event: BlocksChangeEvent): string | null {
  const performer = event.performer;
  return (
    tooLong('database', event.database, USER_LIMITS.wikiIdChars) ??
    tooLong('user_text', event.user_text, USER_LIMITS.userNameChars) ??
    negativeId('user_id', event.user_id) ??
    tooManyBytes('user_groups', event.user_groups, USER_LIMITS.groupsJsonBytes) ??
    tooManyBytes('comment', event.comment, USER_LIMITS.reasonBytes) ??
    tooManyBytes('/blocks/restrictions', event.blocks.restrictions, USER_LIMITS.restrictionsJsonBytes) ??
    tooLong('/performer/user_text', performer?.user_text, USER_LIMITS.userNameChars) ??
    negativeId('/performer/user_id', performer?.user_id) ??
    tooManyBytes('/performer/user_groups', performer?.user_groups, USER_LIMITS.groupsJsonBytes)
  );
}

/**
 * The Kafka key for blocks-change: `{wiki_id, user_text}` of the target.
 * Wikimedia's stream configuration declares message keys only for its newer
 * streams (page_change: `{wiki_id, page_id}`); this older stream has none, so
 * the key is ours. Keying by target puts one user's blocks in one partition,
 * in the order MediaWiki emitted them, which is what makes "the later-applied
 * of two blocks with one timestamp wins" mean "the later block wins". The key
 * names the wiki `wiki_id`, like page_change's key, although the event calls it
 * `database`.
 */
export function userBlocksChangeKey(event: BlocksChangeEvent): { wiki_id: string; user_text: string } {
  return { wiki_id: event.database, user_text: event.user_text };
}

/** MediaWiki uses user id 0 for "no account"; the store uses null. */
function accountId(id: number | undefined): number | null {
  return id === undefined || id === 0 ? null : id;
}

function micros(iso: string | undefined): number | null {
  return iso === undefined ? null : isoToMicros(iso);
}

function fromUserEntity(
  wikiId: string,
  dtUs: number,
  user: UserEntity & { user_text: string },
): UserObservation {
  return {
    wikiId,
    name: user.user_text,
    dtUs,
    userId: accountId(user.user_id),
    isBot: user.is_bot ?? null,
    groups: user.groups ? [...user.groups] : null,
    editCount: user.edit_count ?? null,
    registeredUs: micros(user.registration_dt),
  };
}

/**
 * One change per user a page_change event names: the revision's editor (absent
 * when revision deletion hides it, as MediaWiki omits it then) and the
 * performer. On an edit they are the same user, which folds to the same state
 * as one change would.
 */
export function pageChangeUserChanges(event: PageChangeEvent): UserChange[] {
  const dtUs = isoToMicros(event.dt);
  const changes: UserChange[] = [];
  for (const user of [event.revision.editor, event.performer]) {
    if (user?.user_text === undefined) continue;
    changes.push({
      user: fromUserEntity(event.wiki_id, dtUs, { ...user, user_text: user.user_text }),
      block: null,
    });
  }
  return changes;
}

export function toBlockRecord(event: BlocksChangeEvent): BlockRecord {
  const { blocks } = event;
  const restrictions = (blocks.restrictions ?? []).map((r) => ({ type: r.type, value: r.value }));
  return {
    dtUs: isoToMicros(event.meta.dt),
    expiresUs: micros(blocks.expiry_dt),
    reason: event.comment ?? null,
    blockedBy: event.performer?.user_text ?? null,
    hidesName: blocks.name,
    blocksEmail: blocks.email,
    blocksOwnTalkPage: blocks.user_talk,
    blocksAccountCreation: blocks.account_create,
    // 1.0.0 predates partial blocks, so every block it describes is sitewide;
    // a 1.1.0 producer that omits the flag but lists restrictions means a partial one.
    isSitewide: blocks.sitewide ?? restrictions.length === 0,
    restrictions,
  };
}

/** The target's change (facts and block) and, when named, the performer's. */
export function blocksChangeUserChanges(event: BlocksChangeEvent): UserChange[] {
  const dtUs = isoToMicros(event.meta.dt);
  const target: UserChange = {
    user: {
      wikiId: event.database,
      name: event.user_text,
      dtUs,
      userId: accountId(event.user_id),
      // The target carries no bot flag; its groups say whether it is a bot account.
      isBot: null,
      groups: event.user_groups ? [...event.user_groups] : null,
      editCount: null,
      registeredUs: null,
    },
    block: toBlockRecord(event),
  };
  const p = event.performer;
  if (!p) return [target];
  const performer: UserChange = {
    user: {
      wikiId: event.database,
      name: p.user_text,
      dtUs,
      userId: accountId(p.user_id),
      isBot: p.user_is_bot,
      groups: [...p.user_groups],
      editCount: p.user_edit_count ?? null,
      registeredUs: micros(p.user_registration_dt),
    },
    block: null,
  };
  return [target, performer];
}
