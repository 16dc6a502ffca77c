/**
 * The `users` product's state, independent of any store.
 *
 * Every event becomes one `UserChange` per user it mentions (see `events.ts`): a
 * page_change's editor and performer, a blocks-change's target and performer. A
 * store folds changes into one `UserRecord` per (wiki, name) with the rules in
 * `state.ts`; both adapters follow those rules and one contract suite checks it.
 *
 * Users are keyed by name because that is what every event carries and what
 * the `pages` product returns as a revision's editor: a registered user's name
 * and an anonymous editor's IP address alike (the latter has no user id).
 * Times are microseconds since the epoch, like the `pages` versions: Event
 * Platform timestamps carry sub-millisecond digits.
 */

export interface UserKey {
  wikiId: string;
  /** User name as the events carry it (spaces, not underscores), or an IP address or range. */
  name: string;
}

/** What one event says about one user; null wherever the event does not say. */
export interface UserObservation extends UserKey {
  /** Event time (µs). */
  dtUs: number;
  userId: number | null;
  isBot: boolean | null;
  /** Effective groups, in the event's order. */
  groups: string[] | null;
  editCount: number | null;
  /** Account registration time (µs). */
  registeredUs: number | null;
}

export type BlockRestrictionType = 'page' | 'ns';

export interface BlockRestriction {
  type: BlockRestrictionType;
  /** Page id for `page`, namespace id for `ns`. */
  value: number;
}

/** A block as one blocks-change event states it. */
export interface BlockRecord {
  /** Time (µs) of the event that stated it: the block's version. */
  dtUs: number;
  /** When it ends (µs); null for MediaWiki's `infinity`, which the events state by omitting the expiry. */
  expiresUs: number | null;
  reason: string | null;
  /** User name of the performer, when the event names one. */
  blockedBy: string | null;
  hidesName: boolean;
  blocksEmail: boolean;
  blocksOwnTalkPage: boolean;
  blocksAccountCreation: boolean;
  isSitewide: boolean;
  restrictions: BlockRestriction[];
}

/** One event's contribution to one user: facts about them and, from a blocks-change, their block. */
export interface UserChange {
  user: UserObservation;
  /** Set only for the target of a blocks-change event. */
  block: BlockRecord | null;
}

/**
 * One user's state. Each fact that can change over time carries the time of
 * the event it came from (`…DtUs`, null exactly when the fact is unknown), so
 * an older event arriving late never replaces it.
 */
export interface UserRecord extends UserKey {
  userId: number | null;
  userIdDtUs: number | null;
  isBot: boolean | null;
  isBotDtUs: number | null;
  groups: string[] | null;
  groupsDtUs: number | null;
  /** Highest count reported: MediaWiki's user_editcount only grows. */
  editCount: number | null;
  /** Earliest registration time reported (it never changes; the minimum is order-free). */
  registeredUs: number | null;
  /** Time of the earliest event that mentioned the user. */
  firstSeenUs: number;
  /** The newest block stated for the user (its own `dtUs` is its version), expired or not. */
  block: BlockRecord | null;
}
