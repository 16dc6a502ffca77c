/**
 * Hand-built events for the `users` tests: `mediawiki/user/blocks-change` 1.1.0
 * (and 1.0.0) events, and page_change events whose editor and performer carry
 * full user entities. `test/users/events.test.ts` checks they validate against
 * the real schemas.
 */
import type { PageChangeEvent, UserEntity } from '../../streams/contracts/page-change';
import type { BlocksChangeEvent, BlocksEntity, LegacyPerformer } from '../../subgraphs/users/events';
import { pageChange } from '../fixtures/page-change';

export const ADMIN: LegacyPerformer = {
  user_text: 'Admin Example',
  user_id: 5,
  user_groups: ['sysop', '*', 'user', 'autoconfirmed'],
  user_is_bot: false,
  user_edit_count: 4000,
  user_registration_dt: '2010-01-01T00:00:00Z',
};

export interface BlockSpec {
  wikiId?: string;
  target: string;
  targetId?: number;
  targetGroups?: string[];
  dt: string;
  /** Omitted: indefinite. */
  expiry?: string;
  reason?: string;
  performer?: LegacyPerformer | null;
  blocks?: Partial<BlocksEntity>;
  schemaVersion?: '1.0.0' | '1.1.0';
}

export function blocksChange(spec: BlockSpec): BlocksChangeEvent {
  const wikiId = spec.wikiId ?? 'enwiki';
  const version = spec.schemaVersion ?? '1.1.0';
  const blocks: BlocksEntity = {
    name: false,
    email: false,
    user_talk: false,
    account_create: true,
    ...(version === '1.1.0' ? { sitewide: true, restrictions: [] } : {}),
    ...(spec.expiry !== undefined ? { expiry_dt: spec.expiry } : {}),
    ...spec.blocks,
  };
  const event: BlocksChangeEvent = {
    $schema: `/mediawiki/user/blocks-change/${version}`,
    meta: {
      stream: 'mediawiki.user-blocks-change',
      dt: spec.dt,
      domain: `${wikiId}.example.org`,
      uri: `https://${wikiId}.example.org/wiki/User:${encodeURIComponent(spec.target)}`,
    },
    database: wikiId,
    user_text: spec.target,
    user_groups: spec.targetGroups ?? (spec.targetId === undefined ? ['*'] : ['*', 'user']),
    ...(spec.targetId !== undefined ? { user_id: spec.targetId } : {}),
    blocks,
  };
  if (spec.reason !== undefined) event.comment = spec.reason;
  if (spec.performer !== null) event.performer = spec.performer ?? ADMIN;
  return event;
}

/** A page_change event by `editor`, who is also its performer, with the entity exactly as given. */
export function editBy(
  editor: UserEntity & { user_text: string },
  at: { dt: string; pageId?: number; revId: number; wikiId?: string },
): PageChangeEvent {
  const event = pageChange({
    kind: 'edit',
    wikiId: at.wikiId,
    pageId: at.pageId ?? 1,
    title: `Page_${at.pageId ?? 1}`,
    revId: at.revId,
    parentRevId: at.revId - 1,
    dt: at.dt,
  });
  event.revision.editor = { ...editor };
  event.performer = { ...editor };
  return event;
}
