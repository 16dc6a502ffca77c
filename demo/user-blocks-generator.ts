/**
 * A deterministic generator of realistic `mediawiki/user/blocks-change` 1.1.0
 * events (stream `mediawiki.user-blocks-change`) for the demo feeder and tests.
 *
 * Blocks land on real editors: the generator learns, from the page_change
 * events it is shown (`observe`), who edits each wiki (accounts and anonymous
 * IP addresses) and who its administrators are, and blocks recent editors,
 * performed by an administrator it has seen. Until a wiki has shown both, it
 * gets no blocks.
 *
 * The event shapes follow MediaWiki's EventBus (EventFactory's blocks-change
 * serialisation): the older Event Platform layout (`database`, `meta.dt`,
 * `user_*` performer fields), `expiry_dt` omitted for an indefinite block,
 * `sitewide` and `restrictions` always present, `prior_state.blocks` when the
 * target was already blocked (a re-block changing the block), the target's
 * `user_id` only for accounts.
 *
 * Everything random comes from one seeded PRNG, so the same seed and the same
 * observed events always yield the same blocks; only times follow the clock.
 */
import type { PageChangeEvent, UserEntity } from '../streams/contracts/page-change';
import {
  USER_BLOCKS_CHANGE_STREAM,
  type BlocksChangeEvent,
  type BlocksEntity,
  type LegacyPerformer,
} from '../subgraphs/users/events';
import { Random } from './page-change-generator';

export const BLOCKS_CHANGE_SCHEMA_URI = '/mediawiki/user/blocks-change/1.1.0';

/** Blocks per page change, on average: a busy wiki blocks someone every few dozen edits. */
export const BLOCKS_PER_PAGE_CHANGE = 1 / 25;

/** Editors kept per wiki as block candidates: the most recent ones, so blocks hit active editors. */
const RECENT_EDITORS = 40;

export interface UserBlocksGeneratorOptions {
  /** Any integer; the same seed and observed events always yield the same blocks. */
  seed: number;
  /**
   * Wall clock (ms since the epoch), as for the page generator. Without one, a
   * block takes a time just after the newest page change observed.
   */
  clock?: () => number;
}

interface Editor {
  entity: UserEntity & { user_text: string };
  /** A page the editor touched, for partial blocks. */
  pageId: number;
}

interface WikiState {
  domain: string;
  /** Newest last, unique by name. */
  editors: Editor[];
  /** Administrators by name (performers or editors in the `sysop` group). */
  admins: Map<string, UserEntity & { user_text: string }>;
  /** Current block of each target, for prior_state on a re-block. */
  blocks: Map<string, BlocksEntity>;
}

/** Block lengths (ms), null for indefinite. */
type Duration = number | null;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// IP addresses change hands, so they are blocked for a while; accounts also indefinitely.
const ANONYMOUS_DURATIONS: readonly Duration[] = [31 * HOUR, 7 * DAY, 31 * DAY, 92 * DAY];
const ACCOUNT_DURATIONS: readonly Duration[] = [DAY, 3 * DAY, 14 * DAY, null];

const REASONS: Record<
  string,
  { anonymous: readonly string[]; account: readonly string[]; partial: readonly string[] }
> = {
  enwiki: {
    anonymous: [
      '[[WP:Vandalism|Vandalism]]',
      'Persistent [[WP:Disruptive editing|disruptive editing]]',
      '[[WP:Spam|Spam]] / advertising-only',
      '{{anonblock}}',
    ],
    account: [
      '[[WP:Edit warring|Edit warring]]',
      '[[WP:Sock puppetry|Abusing multiple accounts]]',
      'Persistent addition of [[WP:V|unsourced content]]',
      '[[WP:NOTHERE|Clearly not here to build an encyclopedia]]',
    ],
    partial: ['[[WP:Edit warring|Edit warring]] on this article', 'Disruption on a single page'],
  },
  dewiki: {
    anonymous: ['Vandalismus', 'Wiederholtes Einfügen unbelegter Inhalte', 'Spam'],
    account: ['Edit-War', 'Sockenpuppe', 'Kein Wille zur enzyklopädischen Mitarbeit'],
    partial: ['Edit-War im Artikel', 'Seitensperre wegen Editwar'],
  },
};

function reasonsFor(wikiId: string) {
  return REASONS[wikiId] ?? REASONS.enwiki!;
}

/** The older Event Platform performer layout, from a page_change user entity. */
function legacyPerformer(user: UserEntity & { user_text: string }): LegacyPerformer {
  return {
    user_text: user.user_text,
    user_groups: user.groups ?? ['*'],
    user_is_bot: user.is_bot ?? false,
    ...(user.user_id !== undefined ? { user_id: user.user_id } : {}),
    ...(user.edit_count !== undefined ? { user_edit_count: user.edit_count } : {}),
    ...(user.registration_dt !== undefined ? { user_registration_dt: user.registration_dt } : {}),
  };
}

export class UserBlocksGenerator {
  private readonly random: Random;
  private readonly clock: (() => number) | undefined;
  private readonly wikis = new Map<string, WikiState>();
  /** Wiki ids in first-seen order, so choices do not depend on Map internals. */
  private readonly wikiOrder: string[] = [];
  private lastObservedMs = Date.parse('2024-08-24T00:00:00Z');
  private lastBlockMs = 0;

  constructor(options: UserBlocksGeneratorOptions) {
    this.random = new Random(options.seed);
    this.clock = options.clock;
  }

  /** Learns editors and administrators from page changes (in log order). */
  observe(events: readonly PageChangeEvent[]): void {
    for (const event of events) {
      let wiki = this.wikis.get(event.wiki_id);
      if (!wiki) {
        wiki = {
          domain: event.meta.domain ?? `${event.wiki_id}.example.org`,
          editors: [],
          admins: new Map(),
          blocks: new Map(),
        };
        this.wikis.set(event.wiki_id, wiki);
        this.wikiOrder.push(event.wiki_id);
      }
      this.lastObservedMs = Math.max(this.lastObservedMs, Date.parse(event.dt));
      for (const user of [event.revision.editor, event.performer]) {
        if (user?.user_text === undefined) continue;
        const entity = { ...user, user_text: user.user_text };
        if (user.groups?.includes('sysop')) {
          wiki.admins.set(entity.user_text, entity);
          continue;
        }
        // Bots are blocked by their operators' requests, not by the demo.
        if (user.is_bot) continue;
        const at = wiki.editors.findIndex((e) => e.entity.user_text === entity.user_text);
        if (at >= 0) wiki.editors.splice(at, 1);
        wiki.editors.push({ entity, pageId: event.page.page_id });
        if (wiki.editors.length > RECENT_EDITORS) wiki.editors.shift();
      }
    }
  }

  /** The blocks for `n` page changes' worth of demo time: each has a BLOCKS_PER_PAGE_CHANGE chance of one. */
  next(n: number): BlocksChangeEvent[] {
    const events: BlocksChangeEvent[] = [];
    for (let i = 0; i < n; i++) {
      // Drawn even when no block can be made, so the sequence does not depend on what was observed so far.
      const due = this.random.chance(BLOCKS_PER_PAGE_CHANGE);
      const wikiIndex = this.random.int(0, 1 << 30);
      if (!due) continue;
      const ready = this.wikiOrder.filter((id) => {
        const w = this.wikis.get(id)!;
        return w.admins.size > 0 && w.editors.length > 0;
      });
      if (ready.length === 0) continue;
      const wikiId = ready[wikiIndex % ready.length]!;
      events.push(this.block(wikiId, this.wikis.get(wikiId)!));
    }
    return events;
  }

  private tick(): number {
    const base = this.clock ? this.clock() : this.lastObservedMs + this.random.int(1, 500);
    this.lastBlockMs = Math.max(base, this.lastBlockMs + 1);
    return this.lastBlockMs;
  }

  private block(wikiId: string, wiki: WikiState): BlocksChangeEvent {
    const r = this.random;
    const target = r.pick(wiki.editors);
    const anonymous = target.entity.user_id === undefined;
    const admin = r.pick([...wiki.admins.values()].sort((a, b) => (a.user_text < b.user_text ? -1 : 1)));
    const partial = !anonymous && r.chance(0.3);
    const duration = r.pick(anonymous ? ANONYMOUS_DURATIONS : ACCOUNT_DURATIONS);
    const reasons = reasonsFor(wikiId);
    const reason = r.pick(partial ? reasons.partial : anonymous ? reasons.anonymous : reasons.account);
    const ms = this.tick();
    const dt = new Date(ms).toISOString();
    const blocks: BlocksEntity = {
      // Suppressing a name needs oversight rights and an indefinite block; the demo never does.
      name: false,
      email: !anonymous && r.chance(0.2),
      user_talk: r.chance(0.15),
      account_create: anonymous || !partial,
      ...(duration !== null ? { expiry_dt: new Date(ms + duration).toISOString() } : {}),
      sitewide: !partial,
      restrictions: partial ? [{ type: 'page', value: target.pageId }] : [],
    };
    const name = target.entity.user_text;
    // A block that has run out is no prior state: MediaWiki sends prior_state only for a block in force.
    const prior = wiki.blocks.get(name);
    const priorInForce = prior && (prior.expiry_dt === undefined || Date.parse(prior.expiry_dt) > ms);
    wiki.blocks.set(name, blocks);
    const event: BlocksChangeEvent = {
      $schema: BLOCKS_CHANGE_SCHEMA_URI,
      meta: {
        uri: `https://${wiki.domain}/wiki/Special:Log/block`,
        request_id: r.uuid(),
        id: r.uuid(),
        dt,
        domain: wiki.domain,
        stream: USER_BLOCKS_CHANGE_STREAM,
      },
      database: wikiId,
      performer: legacyPerformer(admin),
      comment: reason,
      user_text: name,
      ...(anonymous ? {} : { user_id: target.entity.user_id }),
      user_groups: anonymous ? ['*'] : (target.entity.groups ?? ['*', 'user']),
      blocks,
    };
    if (priorInForce) event.prior_state = { blocks: prior };
    return event;
  }
}
