/**
 * The demo's landmarks: a small, fixed history that README.md's examples (and
 * the test that runs them) can name, whatever day the demo starts on. The
 * generated history moves with the clock (it covers the past year), so on its
 * own a date or a title in the README would sooner or later find nothing.
 *
 * All of it lies in January 2026 (`LANDMARK_MONTH`), on `enwiki`:
 *  - `Main_Page` (page id 15580374, as on en.wikipedia), created on 1 January
 *    and updated every day of the month by an administrator;
 *  - the article `Lindisfarne_Gospels`, edited on six days of the month by six
 *    editors (an anonymous one and a bot among them); its latest revision is by
 *    `Nettlebrook`, a new account;
 *  - `Nettlebrook`'s block, placed on 29 January: a partial block from that
 *    article, indefinite, so it shows on every start;
 *  - the daily pageviews of both pages, every day of the month (one evening
 *    hour a day, as the generated history has them).
 *
 * The generators never produce these titles, ids or this account, so the
 * landmarks stay as written: nothing the feeder generates later edits, moves,
 * deletes or blocks them. Revision ids sit below the generator's first one.
 * Every event is a pure function of this file, so a restarted feeder publishes
 * the same events again, which every product applies idempotently.
 */
import { createHash } from 'node:crypto';
import { CHANGELOG_KIND, PAGE_CHANGE_STREAM, type PageChangeEvent } from '../streams/contracts/page-change';
import type { UserEntity } from '../streams/contracts/page-change';
import {
  PAGEVIEW_HOURLY_SCHEMA_URI,
  PAGEVIEW_HOURLY_STREAM,
  type PageviewHourlyEvent,
} from '../subgraphs/pageviews/events';
import { USER_BLOCKS_CHANGE_STREAM, type BlocksChangeEvent } from '../subgraphs/users/events';
import { PAGE_CHANGE_SCHEMA_URI, sha1Base36 } from './page-change-generator';
import { BLOCKS_CHANGE_SCHEMA_URI } from './user-blocks-generator';

/** The month the landmarks lie in (UTC days, inclusive). */
export const LANDMARK_MONTH = { first: '2026-01-01', last: '2026-01-31' } as const;

const WIKI = 'enwiki';
const DOMAIN = 'en.wikipedia.org';

/** Editors of the landmarks. The first five are the generator's own enwiki accounts; Nettlebrook is the landmarks' alone. */
const EDITORS = {
  evelyn: account('Evelyn Archer', 9_402_117, '2009-05-21T08:02:11Z', 112_406, [
    'sysop',
    'extendedconfirmed',
  ]),
  harriet: account('Harriet Lowe', 41_233_877, '2021-03-14T09:12:44Z', 2_817),
  quillfeather: account('Quillfeather', 18_844_213, '2013-06-02T17:40:03Z', 48_120, ['extendedconfirmed']),
  marisol: account('Marisol.Vega', 30_018_455, '2017-01-09T12:31:50Z', 9_730, [
    'extendedconfirmed',
    'rollbacker',
  ]),
  bot: { ...account('CiteTidyBot', 38_765_001, '2019-10-30T15:44:27Z', 1_482_930, ['bot']), is_bot: true },
  // A documentation address (RFC 5737): never a real editor's.
  anonymous: { user_text: '203.0.113.77', is_bot: false, is_system: false, is_temp: false } as UserEntity,
  nettlebrook: account('Nettlebrook', 47_220_318, '2026-01-19T16:20:05Z', 37),
} as const;

/** The landmark account that is blocked, for README's user example. */
export const LANDMARK_BLOCKED_USER = 'Nettlebrook';

function account(
  name: string,
  userId: number,
  registration: string,
  editCount: number,
  groups: string[] = [],
): UserEntity {
  return {
    user_id: userId,
    user_text: name,
    groups: [...groups, '*', 'user', 'autoconfirmed'],
    is_bot: false,
    is_system: false,
    is_temp: false,
    edit_count: editCount,
    registration_dt: registration,
  };
}

interface Revision {
  dt: string;
  editor: UserEntity;
  size: number;
  comment: string;
  minor?: boolean;
}

interface LandmarkPage {
  pageId: number;
  title: string;
  firstRevId: number;
  revisions: Revision[];
  /** Peak-hour desktop user views; other cells follow Wikipedia's usual shares. */
  views: number;
}

/** Every day of the month at `time`, each one a revision. */
function daily(time: string, make: (day: string, i: number) => Omit<Revision, 'dt'>): Revision[] {
  return days().map((day, i) => ({ dt: `${day}T${time}Z`, ...make(day, i) }));
}

/** The days of LANDMARK_MONTH, `YYYY-MM-DD`. */
function days(): string[] {
  const out: string[] = [];
  for (let t = Date.parse(LANDMARK_MONTH.first); t <= Date.parse(LANDMARK_MONTH.last); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

const PAGES: readonly LandmarkPage[] = [
  {
    pageId: 15_580_374,
    title: 'Main_Page',
    firstRevId: 1_243_400_001,
    views: 180_000,
    revisions: daily('00:02:00', (day, i) => ({
      editor: EDITORS.evelyn,
      size: 3_900 + ((i * 37) % 120),
      comment:
        i === 0 ? "Created page with '{{Main Page banner}}'" : `Today's featured article: rotate to ${day}`,
    })),
  },
  {
    pageId: 77_880_512,
    title: 'Lindisfarne_Gospels',
    firstRevId: 1_243_450_001,
    views: 1_200,
    revisions: [
      {
        dt: '2026-01-05T10:14:00Z',
        editor: EDITORS.harriet,
        size: 4_210,
        comment: "Created page with '''''Lindisfarne Gospels''' is a'",
      },
      { dt: '2026-01-09T08:40:12Z', editor: EDITORS.quillfeather, size: 5_377, comment: 'Added citation' },
      {
        dt: '2026-01-12T21:03:55Z',
        editor: EDITORS.anonymous,
        size: 5_369,
        comment: 'Copyedit',
        minor: true,
      },
      {
        dt: '2026-01-15T13:27:41Z',
        editor: EDITORS.marisol,
        size: 7_902,
        comment: 'Expanded section with sources',
      },
      {
        dt: '2026-01-15T13:52:09Z',
        editor: EDITORS.bot,
        size: 7_915,
        comment: 'Bot: Fixing citation formatting',
        minor: true,
      },
      { dt: '2026-01-28T19:11:30Z', editor: EDITORS.nettlebrook, size: 6_480, comment: 'Rewrote lead' },
    ],
  },
];

/** A UUID-shaped id that is a pure function of `seed`. */
function uuid(seed: string): string {
  const h = createHash('sha1').update(`sdp-landmark:${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The landmarks' page changes, in order: each page's create, then its edits. */
export function landmarkPageChanges(): PageChangeEvent[] {
  const events: PageChangeEvent[] = [];
  for (const page of PAGES) {
    let parent: PageChangeEvent['revision'] | undefined;
    page.revisions.forEach((rev, i) => {
      const revId = page.firstRevId + i * 2;
      const sha1 = sha1Base36(`${WIKI}:${page.pageId}:${revId}:${rev.size}`);
      const revision: PageChangeEvent['revision'] = {
        rev_id: revId,
        rev_dt: rev.dt,
        is_minor_edit: rev.minor ?? false,
        rev_sha1: sha1,
        rev_size: rev.size,
        ...(parent ? { rev_parent_id: parent.rev_id } : {}),
        comment: rev.comment,
        editor: rev.editor,
        is_content_visible: true,
        is_editor_visible: true,
        is_comment_visible: true,
        content_slots: {
          main: {
            slot_role: 'main',
            content_model: 'wikitext',
            content_format: 'text/x-wiki',
            content_sha1: sha1,
            content_size: rev.size,
            origin_rev_id: revId,
          },
        },
      };
      const kind = parent ? 'edit' : 'create';
      events.push({
        $schema: PAGE_CHANGE_SCHEMA_URI,
        meta: {
          stream: PAGE_CHANGE_STREAM,
          uri: `https://${DOMAIN}/wiki/${encodeURIComponent(page.title)}`,
          request_id: uuid(`${revId}:request`),
          id: uuid(`${revId}:event`),
          // When EventGate received it: a moment after the save.
          dt: new Date(Date.parse(rev.dt) + 120).toISOString(),
          domain: DOMAIN,
        },
        dt: rev.dt,
        wiki_id: WIKI,
        changelog_kind: CHANGELOG_KIND[kind],
        page_change_kind: kind,
        page: { page_id: page.pageId, page_title: page.title, namespace_id: 0, is_redirect: false },
        revision,
        performer: rev.editor,
        comment: rev.comment,
        ...(parent ? { prior_state: { revision: parent } } : {}),
      });
      parent = revision;
    });
  }
  return events;
}

/** Nettlebrook's block: partial (from Lindisfarne_Gospels only), indefinite. */
export function landmarkBlocks(): BlocksChangeEvent[] {
  const admin = EDITORS.evelyn;
  const target = EDITORS.nettlebrook;
  const article = PAGES.find((p) => p.title === 'Lindisfarne_Gospels')!;
  const dt = '2026-01-29T09:30:00.000Z';
  return [
    {
      $schema: BLOCKS_CHANGE_SCHEMA_URI,
      meta: {
        uri: `https://${DOMAIN}/wiki/Special:Log/block`,
        request_id: uuid('block:request'),
        id: uuid('block:event'),
        dt,
        domain: DOMAIN,
        stream: USER_BLOCKS_CHANGE_STREAM,
      },
      database: WIKI,
      performer: {
        user_text: admin.user_text!,
        user_groups: admin.groups!,
        user_is_bot: false,
        user_id: admin.user_id!,
        user_edit_count: admin.edit_count!,
        user_registration_dt: admin.registration_dt!,
      },
      comment: '[[WP:Edit warring|Edit warring]] on this article',
      user_text: target.user_text!,
      user_id: target.user_id!,
      user_groups: target.groups!,
      // No expiry_dt: indefinite (MediaWiki's `infinity`).
      blocks: {
        name: false,
        email: false,
        user_talk: false,
        account_create: false,
        sitewide: false,
        restrictions: [{ type: 'page', value: article.pageId }],
      },
    },
  ];
}

/** Each cell's share of desktop user views, as on Wikipedia: mobile web outdraws desktop, bots are a trickle. */
const CELL_SHARE = {
  desktop: { user: 1, spider: 0.08, automated: 0.03 },
  mobile_web: { user: 1.4, spider: 0.03, automated: 0.01 },
  mobile_app: { user: 0.12, spider: 0.005, automated: 0.001 },
} as const;

/** The landmarks' views: one evening hour (18:00 UTC) of every day of the month. */
export function landmarkPageviews(): PageviewHourlyEvent[] {
  const events: PageviewHourlyEvent[] = [];
  for (const [d, day] of days().entries()) {
    for (const page of PAGES) {
      // A weekly rhythm, fixed: weekends a little quieter.
      const base = page.views * (1 - 0.12 * Math.abs(Math.sin((d * Math.PI) / 7)));
      const views: PageviewHourlyEvent['views'] = {};
      for (const access of ['desktop', 'mobile_web', 'mobile_app'] as const) {
        const share = CELL_SHARE[access];
        views[access] = {
          user: Math.round(base * share.user),
          spider: Math.round(base * share.spider),
          automated: Math.round(base * share.automated),
        };
      }
      const hour = `${day}T18:00:00.000Z`;
      events.push({
        $schema: PAGEVIEW_HOURLY_SCHEMA_URI,
        // Counted once the hour is over.
        meta: { stream: PAGEVIEW_HOURLY_STREAM, domain: 'en.wikipedia.org', dt: `${day}T19:00:00.000Z` },
        dt: hour,
        wiki_id: WIKI,
        namespace_id: 0,
        page_title: page.title,
        views,
      });
    }
  }
  return events;
}
