/**
 * A deterministic generator of realistic `mediawiki/page/change` 1.2.0 events
 * (stream `mediawiki.page_change.v1`) for the demo feeder and for tests.
 *
 * It keeps a model of every page it has produced (live or deleted, title,
 * redirect target, recent revisions and their visibility), so the history it
 * emits is one MediaWiki could have produced: edits only on live pages, undeletes
 * only of deleted pages whose title is still free, moves that change the title
 * and usually leave a redirect page (which gets its own `create` event),
 * visibility changes on existing revisions of live pages.
 *
 * The event shapes follow MediaWiki's EventBus serializers
 * (PageChangeEventSerializer and friends):
 *  - `page_title` is the prefixed DB key (`Talk:Foo_bar`), `namespace_id` alongside;
 *  - `rev_parent_id` is omitted on a page's first revision;
 *  - a hidden comment / editor is omitted from `revision`, not blanked;
 *  - `prior_state.revision` on edits and moves is the parent revision, on
 *    visibility changes only the visibility flags that changed;
 *  - `rev_sha1` / `content_sha1` are base-36 SHA-1 padded to 31 characters, as
 *    MediaWiki stores them (a single-slot revision's sha1 is its main slot's).
 *
 * Everything random comes from one seeded PRNG, so a seed always yields the same
 * events; only `dt` and friends follow the optional wall clock.
 */
import { createHash } from 'node:crypto';
import {
  CHANGELOG_KIND,
  PAGE_CHANGE_STREAM,
  type PageChangeEvent,
  type UserEntity,
} from '../streams/contracts/page-change';
import type { PageChangeKind } from '../streams/contracts/page-change';

export const PAGE_CHANGE_SCHEMA_URI = '/mediawiki/page/change/1.2.0';

export type DemoWikiId = 'enwiki' | 'dewiki';

export const DEMO_WIKIS: readonly DemoWikiId[] = ['enwiki', 'dewiki'];

export interface PageChangeGeneratorOptions {
  /** Any integer; the same seed (and options) always yields the same events. */
  seed: number;
  /** Wikis to generate for (default both); the first one gets the most traffic, like enwiki. */
  wikis?: readonly DemoWikiId[];
  /** Time of the first event in simulated mode (default 2024-08-24T00:00:00Z). */
  startTime?: Date | string | number;
  /**
   * Wall clock (ms since the epoch). When given, every event is stamped with the
   * clock's time instead of simulated time: the demo feeder uses `Date.now`. Times
   * stay strictly increasing either way, so two events never share a `dt`.
   */
  clock?: () => number;
}

/** Share of each kind among the generator's own choices (redirect creates come on top of moves). */
const KIND_WEIGHTS: readonly (readonly [PageChangeKind, number])[] = [
  ['edit', 70],
  // Most moves leave a redirect, whose `create` event adds ~4% more creates: 8 + 4 ≈ 12%.
  ['create', 8],
  ['move', 5],
  ['delete', 5],
  ['undelete', 3],
  ['visibility_change', 5],
];

/**
 * Revisions kept per page for visibility changes. The demo feeder runs for days,
 * so the model must not grow with every revision; older ones simply can no longer
 * be picked for a visibility change.
 */
const TRACKED_REVISIONS = 8;

// ---------------------------------------------------------------------------
// PRNG

/** sfc32 seeded through splitmix32: small, fast, good enough statistics, and no dependency. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [value, w] of entries) {
      r -= w;
      if (r < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [T, number])[0];
  }

  /** RFC 4122 version-4 UUID from this generator (deterministic, unlike crypto.randomUUID). */
  uuid(): string {
    const hex = Array.from({ length: 4 }, () => this.uint32().toString(16).padStart(8, '0')).join('');
    const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

// ---------------------------------------------------------------------------
// Wikis, users and words

type ActorKind = 'registered' | 'sysop' | 'bot' | 'anonymous';

interface Actor {
  kind: ActorKind;
  /** user_text: the user name with spaces, or the IP address of an anonymous editor. */
  name: string;
  userId?: number;
  /** Explicit groups; the event carries MediaWiki's effective groups (these plus implicit ones). */
  groups?: string[];
  registration?: string;
  editCount?: number;
}

interface WikiProfile {
  id: DemoWikiId;
  domain: string;
  /** Localised namespace prefixes of the namespaces generated here. */
  namespaces: Record<number, string>;
  firstPageId: number;
  firstRevId: number;
  users: Actor[];
  topics: readonly string[];
  qualifiers: readonly string[];
  sections: readonly string[];
  createSummary: (snippet: string) => string;
  newSectionSummary: (section: string) => string;
  editSummaries: readonly string[];
  minorSummaries: readonly string[];
  botSummaries: readonly string[];
  revertSummary: (reverted: string, restoredTo: string) => string;
  moveComment: (user: string, from: string, to: string, reason: string) => string;
  moveReasons: readonly string[];
  redirectText: (target: string) => string;
  deleteReasons: readonly string[];
  undeleteReasons: readonly string[];
  projectPages: (r: Random, topic: string) => string;
  snippets: readonly string[];
}

/** A list of DB keys (never a space in one), written as one whitespace-separated block. */
function titles(block: string): readonly string[] {
  return block.trim().split(/\s+/);
}

function registered(
  name: string,
  userId: number,
  registration: string,
  editCount: number,
  groups: string[] = [],
): Actor {
  return { kind: 'registered', name, userId, registration, editCount, groups };
}

const PROFILES: Record<DemoWikiId, () => WikiProfile> = {
  enwiki: () => ({
    id: 'enwiki',
    domain: 'en.wikipedia.org',
    namespaces: { 0: '', 1: 'Talk:', 2: 'User:', 4: 'Wikipedia:' },
    firstPageId: 77_912_340,
    firstRevId: 1_243_508_100,
    // Fictional accounts: the demo must not attribute edits to real people.
    users: [
      registered('Harriet Lowe', 41_233_877, '2021-03-14T09:12:44Z', 2_817),
      registered('Quillfeather', 18_844_213, '2013-06-02T17:40:03Z', 48_120, ['extendedconfirmed']),
      registered('Tobias Brennan', 45_610_092, '2023-11-27T21:05:19Z', 164),
      registered('Marisol.Vega', 30_018_455, '2017-01-09T12:31:50Z', 9_730, [
        'extendedconfirmed',
        'rollbacker',
      ]),
      {
        ...registered('Evelyn Archer', 9_402_117, '2009-05-21T08:02:11Z', 112_406, [
          'sysop',
          'extendedconfirmed',
        ]),
        kind: 'sysop',
      },
      { ...registered('CiteTidyBot', 38_765_001, '2019-10-30T15:44:27Z', 1_482_930, ['bot']), kind: 'bot' },
    ],
    topics: titles(`
      Albert_Einstein Photosynthesis River_Thames Eiffel_Tower Quantum_mechanics Apollo_11
      Mount_Everest Jazz Ada_Lovelace Great_Barrier_Reef History_of_the_Internet Coffee
      Leonardo_da_Vinci Black_hole Amazon_rainforest Python_(programming_language) World_War_I
      Marie_Curie Roman_Empire Plate_tectonics The_Beatles Honey_bee Silk_Road Tokyo Nile
      Mitochondrion Printing_press Sherlock_Holmes Vaccination Machu_Picchu Saturn
      Industrial_Revolution Octopus Great_Fire_of_London Blue_whale Alan_Turing Chess Rosetta_Stone
      Climate_change Jane_Austen Sourdough Volcano Lighthouse Tea Transcontinental_railroad Coral_reef
      Hubble_Space_Telescope Ancient_Egypt Basketball
    `),
    qualifiers: titles('(film) (album) (band) (novel) (song) (ship) (horse) (video_game) (play)'),
    sections: titles('History Early_life Etymology Description Reception Legacy References Geography'),
    createSummary: (snippet) => `Created page with '${snippet}'`,
    newSectionSummary: (section) => `/* ${section.replace(/_/g, ' ')} */ new section`,
    editSummaries: [
      'Added citation',
      'Expanded section with sources',
      'Copyedit',
      'Updated infobox',
      'Added image',
      'Removed unsourced claim',
      'Rewrote lead per talk page consensus',
      'Added categories',
      '',
    ],
    minorSummaries: [
      'Fixed typo',
      'Fixed link',
      'Formatting',
      'Punctuation',
      '/* References */ fix ref name',
    ],
    botSummaries: [
      'Bot: Fixing citation formatting',
      'Bot: Removing dead link',
      'Bot: Adding date to maintenance tag',
      'Bot: Fixing double redirect',
      'Bot: Archiving 2 threads',
    ],
    revertSummary: (reverted, restoredTo) =>
      `Reverted edits by [[Special:Contributions/${reverted}|${reverted}]] ([[User talk:${reverted}|talk]]) to last version by ${restoredTo}`,
    moveComment: (user, from, to, reason) =>
      `${user} moved page [[${from}]] to [[${to}]]${reason ? `: ${reason}` : ''}`,
    moveReasons: [
      'Per [[WP:COMMONNAME]]',
      'Correct capitalisation per [[MOS:CAPS]]',
      'Disambiguate',
      'Publish draft',
      '',
    ],
    redirectText: (target) => `#REDIRECT [[${target}]]\n\n{{Redirect category shell|\n{{R from move}}\n}}`,
    deleteReasons: [
      '[[WP:CSD#G11|G11]]: Unambiguous advertising or promotion',
      '[[WP:CSD#A7|A7]]: No credible indication of importance',
      '[[WP:CSD#G7|G7]]: One author who has requested deletion or blanked the page',
      '[[WP:CSD#R3|R3]]: Implausible typo or misnomer redirect',
      '[[Wikipedia:Articles for deletion]] closed as delete',
    ],
    undeleteReasons: ['Restored per [[WP:REFUND]]', 'Deletion review overturned', 'History merge'],
    projectPages: (r, topic) =>
      r.pick([
        `Articles_for_deletion/${topic}`,
        `Village_pump_(technical)/Archive_${r.int(150, 230)}`,
        `Requests_for_page_protection/Archive/${r.int(2019, 2025)}/${r.int(1, 12)}`,
        `WikiProject_${r.pick(['Physics', 'Music', 'Geography', 'History', 'Biology'])}/Assessment`,
      ]),
    snippets: ["'''{topic}''' is a", '{{Short description|', "'''{topic}''' was a", '{{Infobox'],
  }),
  dewiki: () => ({
    id: 'dewiki',
    domain: 'de.wikipedia.org',
    namespaces: { 0: '', 1: 'Diskussion:', 2: 'Benutzer:', 4: 'Wikipedia:' },
    firstPageId: 13_254_870,
    firstRevId: 248_137_560,
    users: [
      registered('Kartoffelkäfer', 2_904_118, '2016-04-03T19:22:07Z', 21_408),
      registered('Lena Schubert', 3_511_780, '2022-02-11T07:45:33Z', 612),
      registered('Bergsteiger1987', 1_187_342, '2010-08-29T13:10:58Z', 73_055, ['sichter']),
      {
        ...registered('Nordlicht', 803_116, '2007-12-01T10:00:41Z', 156_280, ['sysop', 'sichter']),
        kind: 'sysop',
      },
      { ...registered('LinkPflegeBot', 2_377_009, '2014-09-17T06:30:12Z', 903_441, ['bot']), kind: 'bot' },
    ],
    topics: titles(`
      Johann_Wolfgang_von_Goethe Brandenburger_Tor Schwarzwald Rhein Kölner_Dom Bodensee Zugspitze
      Oktoberfest Ludwig_van_Beethoven Deutsche_Bahn Fotosynthese Quantenmechanik
      Schloss_Neuschwanstein Hamburger_Hafen Bratwurst Sächsische_Schweiz Emmy_Noether Elbphilharmonie
      Berliner_Mauer Lüneburger_Heide Marie_Curie Relativitätstheorie Weißwurst Ruhrgebiet Hanse
      Buchdruck Kaffee Honigbiene Sonnensystem Mittelalter Schachspiel Wattenmeer Donau
      Alexander_von_Humboldt Grimms_Märchen Bauhaus Münchner_Frauenkirche Spreewald Zeppelin
      Thüringer_Wald
    `),
    qualifiers: titles('(Film) (Album) (Band) (Roman) (Schiff) (Begriffsklärung) (Lied)'),
    sections: titles('Geschichte Leben Etymologie Beschreibung Rezeption Literatur Einzelnachweise'),
    createSummary: (snippet) => `Die Seite wurde neu angelegt: „${snippet}“`,
    newSectionSummary: (section) => `Neuer Abschnitt /* ${section.replace(/_/g, ' ')} */`,
    editSummaries: [
      'Beleg ergänzt',
      'Abschnitt erweitert',
      'Infobox aktualisiert',
      'Bild eingefügt',
      'Kats',
      'unbelegte Aussage entfernt',
      'Einleitung überarbeitet',
      'Literatur ergänzt',
      '',
    ],
    minorSummaries: ['Tippfehler', 'Link korrigiert', 'Form', 'typo', 'Komma'],
    botSummaries: [
      'Bot: Defekten Weblink ersetzt',
      'Bot: Vorlage ersetzt',
      'Bot: doppelte Weiterleitung aufgelöst',
      'Bot: Archivierung von 3 Abschnitten',
    ],
    revertSummary: (reverted, restoredTo) =>
      `Änderungen von [[Special:Contributions/${reverted}|${reverted}]] ([[Benutzer Diskussion:${reverted}|Diskussion]]) auf die letzte Version von ${restoredTo} zurückgesetzt`,
    moveComment: (user, from, to, reason) =>
      `${user} verschob die Seite [[${from}]] nach [[${to}]]${reason ? `: ${reason}` : ''}`,
    moveReasons: [
      'Lemma korrigiert',
      'Klammerlemma nach [[WP:NK]]',
      'Tippfehler im Lemma',
      'Artikel aus BNR verschoben',
      '',
    ],
    redirectText: (target) => `#WEITERLEITUNG [[${target}]]`,
    deleteReasons: [
      'Kein Artikel',
      'Irrelevanz',
      'Wiedergänger',
      'Unerwünschte Weiterleitung',
      'Löschdiskussion: [[Wikipedia:Löschkandidaten]]',
      'Urheberrechtsverletzung',
    ],
    undeleteReasons: ['Wiederherstellung nach Löschprüfung', 'Versionsgeschichte für Import'],
    projectPages: (r, topic) =>
      r.pick([
        `Löschkandidaten/${r.int(1, 28)}._${r.pick(['Januar', 'März', 'Mai', 'Juli', 'Oktober'])}_${r.int(2020, 2025)}`,
        `Relevanzcheck/Archiv/${r.int(2019, 2025)}/${r.int(1, 52)}`,
        `Fragen_zur_Wikipedia/Archiv/${r.int(2019, 2025)}/Woche_${r.int(1, 52)}`,
        `Redaktion_${r.pick(['Geschichte', 'Musik', 'Chemie', 'Physik'])}/Qualitätssicherung/${topic}`,
      ]),
    snippets: ["'''{topic}''' ist ein", "'''{topic}''' war eine", '{{Infobox', "Die '''{topic}''' ist"],
  }),
};

// ---------------------------------------------------------------------------
// The model

interface RevisionState {
  revId: number;
  parentId: number;
  dt: string;
  sha1: string;
  size: number;
  minor: boolean;
  comment: string;
  editor: Actor;
  /** Revision that created the main slot's content (a move's null revision inherits it). */
  originRevId: number;
  commentVisible: boolean;
  editorVisible: boolean;
  contentVisible: boolean;
}

interface PageState {
  pageId: number;
  namespace: number;
  /** DB key without the namespace prefix. */
  dbKey: string;
  live: boolean;
  redirectTo?: { namespace: number; dbKey: string };
  /** Newest last; at most TRACKED_REVISIONS. */
  revisions: RevisionState[];
  revisionCount: number;
}

interface WikiState {
  profile: WikiProfile;
  pages: PageState[];
  /** Live pages by `namespace:dbKey`: a title holds at most one live page. */
  titles: Map<string, PageState>;
  nextPageId: number;
  lastRevId: number;
  /** Pages edited lately: edits come in bursts on the same pages. */
  recent: PageState[];
}

function titleKey(namespace: number, dbKey: string): string {
  return `${namespace}:${dbKey}`;
}

function latest(page: PageState): RevisionState {
  const rev = page.revisions[page.revisions.length - 1];
  if (!rev) throw new Error(`page ${page.pageId} has no revision`);
  return rev;
}

/** Base-36 SHA-1, zero-padded to 31 characters: MediaWiki's rev_sha1 / content_sha1 form. */
export function sha1Base36(text: string): string {
  const hex = createHash('sha1').update(text).digest('hex');
  return BigInt(`0x${hex}`).toString(36).padStart(31, '0');
}

/** Like MediaWiki's wfUrlencode: keeps the characters page URLs show verbatim. */
function urlencodeTitle(title: string): string {
  return encodeURIComponent(title).replace(/%(3A|2F|2C|3B|40|24|21|2A|28|29|7E)/gi, (m) =>
    decodeURIComponent(m),
  );
}

function randomIpv4(r: Random): string {
  // Documentation ranges (RFC 5737): never a real editor's address.
  return `${r.pick(['192.0.2', '198.51.100', '203.0.113'])}.${r.int(1, 254)}`;
}

function randomIpv6(r: Random): string {
  // 2001:db8::/32 (RFC 3849), in MediaWiki's canonical form: upper case, no `::` shortening.
  const group = () => r.int(0, 0xffff).toString(16).toUpperCase();
  return ['2001', 'DB8', group(), group(), '0', '0', group(), group()].join(':');
}

export class PageChangeGenerator {
  private readonly random: Random;
  private readonly wikis: WikiState[];
  private readonly wikiWeights: (readonly [WikiState, number])[];
  private readonly clock: (() => number) | undefined;
  private time: number;
  /** Events already decided, emitted before new ones (a move's redirect create). */
  private readonly pending: PageChangeEvent[] = [];

  constructor(options: PageChangeGeneratorOptions) {
    this.random = new Random(options.seed);
    const ids = options.wikis ?? DEMO_WIKIS;
    if (ids.length === 0) throw new RangeError('PageChangeGenerator needs at least one wiki');
    this.wikis = [...new Set(ids)].map((id) => {
      const make = PROFILES[id];
      if (!make) throw new RangeError(`unknown demo wiki ${id}; known: ${Object.keys(PROFILES).join(', ')}`);
      const profile = make();
      return {
        profile,
        pages: [],
        titles: new Map(),
        nextPageId: profile.firstPageId,
        lastRevId: profile.firstRevId,
        recent: [],
      };
    });
    this.wikiWeights = this.wikis.map((w, i) => [w, i === 0 ? 3 : 2] as const);
    const start = options.startTime ?? '2024-08-24T00:00:00Z';
    this.time = new Date(start).getTime();
    if (Number.isNaN(this.time)) throw new RangeError(`startTime ${String(start)} is not a date`);
    this.clock = options.clock;
    // The first event takes the start time itself.
    this.time -= 1;
  }

  /** The next event of the history. */
  next(): PageChangeEvent {
    const queued = this.pending.shift();
    if (queued) return queued;
    const wiki = this.random.weighted(this.wikiWeights);
    const kind = this.random.weighted(KIND_WEIGHTS);
    // A kind with nothing to act on (no live page to edit, nothing deleted to
    // restore, ...) becomes a create: early on every event is one.
    return this.generate(wiki, kind) ?? this.create(wiki);
  }

  nextN(n: number): PageChangeEvent[] {
    return Array.from({ length: n }, () => this.next());
  }

  private generate(wiki: WikiState, kind: PageChangeKind): PageChangeEvent | undefined {
    switch (kind) {
      case 'create':
        return this.create(wiki);
      case 'edit':
        return this.edit(wiki);
      case 'move':
        return this.move(wiki);
      case 'delete':
        return this.delete(wiki);
      case 'undelete':
        return this.undelete(wiki);
      case 'visibility_change':
        return this.visibilityChange(wiki);
    }
  }

  // -- time, ids, actors -----------------------------------------------------

  /**
   * The next event time, strictly after the previous one. Store versions order
   * a page's events by (dt, rev id) and a delete and the undelete after it carry
   * the same revision, so two events must never share an instant.
   */
  private tick(): number {
    // Drawn even with a clock so the event sequence does not depend on the clock.
    const gap = this.random.int(150, 4000);
    this.time = this.clock ? Math.max(this.clock(), this.time + 1) : this.time + gap;
    return this.time;
  }

  private nextRevId(wiki: WikiState): number {
    // Revision ids are per wiki and only grow; other traffic of the wiki leaves gaps.
    wiki.lastRevId += this.random.int(1, 3);
    return wiki.lastRevId;
  }

  private actor(wiki: WikiState, kind: ActorKind): Actor {
    if (kind === 'anonymous') {
      return { kind, name: this.random.chance(0.6) ? randomIpv4(this.random) : randomIpv6(this.random) };
    }
    return this.random.pick(wiki.profile.users.filter((u) => u.kind === kind));
  }

  private sysop(wiki: WikiState): Actor {
    return this.actor(wiki, 'sysop');
  }

  // -- serialisation (MediaWiki EventBus shapes) ----------------------------

  private user(actor: Actor): UserEntity {
    if (actor.kind === 'anonymous') {
      return { user_text: actor.name, is_bot: false, is_system: false, is_temp: false };
    }
    return {
      user_id: actor.userId,
      user_text: actor.name,
      // Effective groups, as UserGroupManager::getUserEffectiveGroups lists them.
      groups: [...(actor.groups ?? []), '*', 'user', 'autoconfirmed'],
      is_bot: actor.kind === 'bot',
      is_system: false,
      is_temp: false,
      edit_count: actor.editCount,
      registration_dt: actor.registration,
    };
  }

  private prefixed(wiki: WikiState, namespace: number, dbKey: string): string {
    return `${wiki.profile.namespaces[namespace] ?? ''}${dbKey}`;
  }

  private pageEntity(wiki: WikiState, page: PageState): PageChangeEvent['page'] {
    const entity: PageChangeEvent['page'] = {
      page_id: page.pageId,
      page_title: this.prefixed(wiki, page.namespace, page.dbKey),
      namespace_id: page.namespace,
      is_redirect: page.redirectTo !== undefined,
    };
    if (page.redirectTo) {
      const { namespace, dbKey } = page.redirectTo;
      const link: NonNullable<PageChangeEvent['page']['redirect_page_link']> = {
        page_title: this.prefixed(wiki, namespace, dbKey),
        namespace_id: namespace,
      };
      // The link names a title; page id and redirect flag only when a page lives there.
      const target = wiki.titles.get(titleKey(namespace, dbKey));
      if (target) {
        link.page_id = target.pageId;
        link.is_redirect = target.redirectTo !== undefined;
      }
      entity.redirect_page_link = link;
    }
    return entity;
  }

  private revisionEntity(rev: RevisionState): PageChangeEvent['revision'] {
    const entity: PageChangeEvent['revision'] = {
      rev_id: rev.revId,
      rev_dt: rev.dt,
      is_minor_edit: rev.minor,
      rev_sha1: rev.sha1,
      rev_size: rev.size,
    };
    if (rev.parentId > 0) entity.rev_parent_id = rev.parentId;
    // Hidden fields are left out: consumers must not read omission as erasure.
    if (rev.commentVisible) entity.comment = rev.comment;
    if (rev.editorVisible) entity.editor = this.user(rev.editor);
    entity.is_content_visible = rev.contentVisible;
    entity.is_editor_visible = rev.editorVisible;
    entity.is_comment_visible = rev.commentVisible;
    entity.content_slots = {
      main: {
        slot_role: 'main',
        content_model: 'wikitext',
        content_format: 'text/x-wiki',
        content_sha1: rev.sha1,
        content_size: rev.size,
        origin_rev_id: rev.originRevId,
      },
    };
    return entity;
  }

  private envelope(
    wiki: WikiState,
    kind: PageChangeKind,
    page: PageState,
    dtMs: number,
    performer: Actor,
  ): PageChangeEvent {
    const dt = new Date(dtMs).toISOString();
    const title = this.prefixed(wiki, page.namespace, page.dbKey);
    return {
      $schema: PAGE_CHANGE_SCHEMA_URI,
      meta: {
        stream: PAGE_CHANGE_STREAM,
        uri: `https://${wiki.profile.domain}/wiki/${urlencodeTitle(title)}`,
        request_id: this.random.uuid(),
        id: this.random.uuid(),
        // meta.dt is when EventGate received the event: a little after dt.
        dt: new Date(dtMs + this.random.int(5, 400)).toISOString(),
        domain: wiki.profile.domain,
      },
      dt,
      wiki_id: wiki.profile.id,
      changelog_kind: CHANGELOG_KIND[kind],
      page_change_kind: kind,
      page: this.pageEntity(wiki, page),
      revision: this.revisionEntity(latest(page)),
      performer: this.user(performer),
    };
  }

  // -- model updates ---------------------------------------------------------

  /**
   * Appends a revision to `page`. New content gets a hash of its own (derived
   * from the wiki, page and revision, since the demo has no real text) unless the
   * caller knows the content: a move's null revision or a redirect's text.
   */
  private addRevision(
    wiki: WikiState,
    page: PageState,
    rev: Pick<RevisionState, 'dt' | 'size' | 'minor' | 'comment' | 'editor'> & {
      sha1?: string;
      originRevId?: number;
    },
  ): RevisionState {
    const revId = this.nextRevId(wiki);
    const parent = page.revisions[page.revisions.length - 1];
    const state: RevisionState = {
      ...rev,
      revId,
      parentId: parent?.revId ?? 0,
      sha1: rev.sha1 ?? sha1Base36(`${wiki.profile.id}:${page.pageId}:${revId}:${rev.size}`),
      originRevId: rev.originRevId ?? revId,
      commentVisible: true,
      editorVisible: true,
      contentVisible: true,
    };
    page.revisions.push(state);
    if (page.revisions.length > TRACKED_REVISIONS) page.revisions.shift();
    page.revisionCount++;
    return state;
  }

  /** MediaWiki counts saved edits (creates included) in user_editcount; anonymous editors have none. */
  private countEdit(actor: Actor): void {
    if (actor.editCount !== undefined) actor.editCount++;
  }

  private touch(wiki: WikiState, page: PageState): void {
    wiki.recent = [page, ...wiki.recent.filter((p) => p !== page)].slice(0, 8);
  }

  private livePages(wiki: WikiState, filter: (p: PageState) => boolean = () => true): PageState[] {
    return wiki.pages.filter((p) => p.live && filter(p));
  }

  /** A free title in `namespace`: `candidate` is asked again while it names a live page. */
  private freeTitle(wiki: WikiState, namespace: number, candidate: () => string): string {
    for (let i = 0; i < 40; i++) {
      const dbKey = candidate();
      if (!wiki.titles.has(titleKey(namespace, dbKey))) return dbKey;
    }
    // A busy title space (a long demo run): disambiguate by year, which always ends somewhere free.
    const base = candidate();
    for (let year = 1900; ; year++) {
      const dbKey = `${base}_(${year})`;
      if (!wiki.titles.has(titleKey(namespace, dbKey))) return dbKey;
    }
  }

  private articleTitle(wiki: WikiState): string {
    const { topics, qualifiers } = wiki.profile;
    return this.freeTitle(wiki, 0, () => {
      const topic = this.random.pick(topics);
      return this.random.chance(0.35) || topic.endsWith(')')
        ? topic
        : `${topic}_${this.random.pick(qualifiers)}`;
    });
  }

  // -- kinds -----------------------------------------------------------------

  private create(wiki: WikiState): PageChangeEvent {
    const r = this.random;
    const { profile } = wiki;
    const namespace = r.weighted<number>([
      [0, 55],
      [1, 20],
      [2, 15],
      [4, 10],
    ]);
    let dbKey: string;
    let actorKind: ActorKind;
    if (namespace === 0) {
      dbKey = this.articleTitle(wiki);
      // Logged-out users cannot create articles on these wikis; bots rarely do.
      actorKind = r.weighted<ActorKind>([
        ['registered', 80],
        ['sysop', 15],
        ['bot', 5],
      ]);
    } else if (namespace === 1) {
      // A talk page belongs to an article; prefer one that has none yet.
      const articles = this.livePages(
        wiki,
        (p) => p.namespace === 0 && !p.redirectTo && !wiki.titles.has(titleKey(1, p.dbKey)),
      );
      dbKey = articles.length > 0 ? r.pick(articles).dbKey : this.articleTitle(wiki);
      dbKey = this.freeTitle(wiki, 1, () => dbKey);
      actorKind = r.weighted<ActorKind>([
        ['registered', 55],
        ['anonymous', 30],
        ['sysop', 10],
        ['bot', 5],
      ]);
    } else if (namespace === 2) {
      // Users create pages in their own user space.
      const owner = this.actor(wiki, r.pick<ActorKind>(['registered', 'registered', 'sysop', 'bot']));
      const base = owner.name.replace(/ /g, '_');
      dbKey = this.freeTitle(wiki, 2, () =>
        r.pick([base, `${base}/Sandbox`, `${base}/${r.pick(profile.topics)}`, `${base}/common.js`]),
      );
      return this.createPage(wiki, namespace, dbKey, owner);
    } else {
      dbKey = this.freeTitle(wiki, 4, () => profile.projectPages(r, r.pick(profile.topics)));
      actorKind = r.weighted<ActorKind>([
        ['registered', 50],
        ['bot', 30],
        ['sysop', 20],
      ]);
    }
    return this.createPage(wiki, namespace, dbKey, this.actor(wiki, actorKind));
  }

  private createPage(wiki: WikiState, namespace: number, dbKey: string, editor: Actor): PageChangeEvent {
    const r = this.random;
    const dtMs = this.tick();
    const page: PageState = {
      pageId: wiki.nextPageId,
      namespace,
      dbKey,
      live: true,
      revisions: [],
      revisionCount: 0,
    };
    wiki.nextPageId += r.int(1, 4);
    // The subject as prose: last subpage segment, spaces, no disambiguator.
    const topic = (dbKey.split('/').pop() ?? dbKey).replace(/_/g, ' ').replace(/ \(.*\)$/, '');
    const comment =
      namespace === 1 || (namespace === 4 && r.chance(0.5))
        ? wiki.profile.newSectionSummary(r.pick(wiki.profile.sections))
        : wiki.profile.createSummary(r.pick(wiki.profile.snippets).replace('{topic}', topic));
    const size = namespace === 0 ? r.int(900, 24000) : r.int(120, 4000);
    this.addRevision(wiki, page, { dt: new Date(dtMs).toISOString(), size, minor: false, comment, editor });
    this.countEdit(editor);
    wiki.pages.push(page);
    wiki.titles.set(titleKey(namespace, dbKey), page);
    this.touch(wiki, page);
    const event = this.envelope(wiki, 'create', page, dtMs, editor);
    event.comment = comment;
    return event;
  }

  private edit(wiki: WikiState): PageChangeEvent | undefined {
    const r = this.random;
    const recent = wiki.recent.filter((p) => p.live && !p.redirectTo);
    const candidates =
      recent.length > 0 && r.chance(0.35) ? recent : this.livePages(wiki, (p) => !p.redirectTo);
    if (candidates.length === 0) return undefined;
    const page = r.pick(candidates);
    const parent = latest(page);
    const actorKind = r.weighted<ActorKind>([
      ['registered', 48],
      ['anonymous', 25],
      ['bot', 15],
      ['sysop', 12],
    ]);
    const editor = this.actor(wiki, actorKind);
    const { profile } = wiki;
    let comment: string;
    let minor: boolean;
    let size: number;
    let sha1: string | undefined;
    const previous = page.revisions[page.revisions.length - 2];
    if (
      previous &&
      parent.editor.kind === 'anonymous' &&
      editor.kind !== 'anonymous' &&
      editor.kind !== 'bot' &&
      r.chance(0.3)
    ) {
      // Rollback of a logged-out edit: back to the previous content, byte for byte.
      comment = profile.revertSummary(parent.editor.name, previous.editor.name);
      minor = true;
      size = previous.size;
      sha1 = previous.sha1;
    } else if (editor.kind === 'bot') {
      comment = r.pick(profile.botSummaries);
      minor = r.chance(0.7);
      size = Math.max(0, parent.size + r.int(-60, 120));
    } else if (editor.kind !== 'anonymous' && r.chance(0.25)) {
      // Logged-out users cannot mark edits minor.
      comment = r.pick(profile.minorSummaries);
      minor = true;
      size = Math.max(0, parent.size + r.int(-20, 20));
    } else {
      const summary = r.pick(profile.editSummaries);
      comment = r.chance(0.4)
        ? `/* ${r.pick(profile.sections).replace(/_/g, ' ')} */ ${summary}`.trim()
        : summary;
      minor = false;
      size = Math.max(0, parent.size + r.int(-400, 1800));
    }
    const dtMs = this.tick();
    this.addRevision(wiki, page, { dt: new Date(dtMs).toISOString(), sha1, size, minor, comment, editor });
    this.countEdit(editor);
    this.touch(wiki, page);
    const event = this.envelope(wiki, 'edit', page, dtMs, editor);
    event.comment = comment;
    event.prior_state = { revision: this.revisionEntity(parent) };
    return event;
  }

  private move(wiki: WikiState): PageChangeEvent | undefined {
    const r = this.random;
    // Articles get renamed, and user-space drafts get published as articles;
    // redirects, talk and project pages, user pages proper and scripts stay put.
    const isDraft = (p: PageState) => p.namespace === 2 && p.dbKey.includes('/') && !p.dbKey.endsWith('.js');
    const candidates = this.livePages(wiki, (p) => !p.redirectTo && (p.namespace === 0 || isDraft(p)));
    if (candidates.length === 0) return undefined;
    const page = r.pick(candidates);
    const { profile } = wiki;
    const from = { namespace: page.namespace, dbKey: page.dbKey };
    let to: { namespace: number; dbKey: string };
    if (isDraft(page)) {
      const draft = page.dbKey.slice(page.dbKey.indexOf('/') + 1);
      to = {
        namespace: 0,
        dbKey: this.freeTitle(wiki, 0, () =>
          r.chance(0.5) ? draft : `${draft}_${r.pick(profile.qualifiers)}`,
        ),
      };
    } else {
      const base = page.dbKey.replace(/_\([^)]*\)$/, '');
      to = { namespace: 0, dbKey: this.freeTitle(wiki, 0, () => `${base}_${r.pick(profile.qualifiers)}`) };
    }
    const performer = r.chance(0.7) ? this.sysop(wiki) : this.actor(wiki, 'registered');
    // Only administrators may move without leaving a redirect.
    const leaveRedirect = performer.kind !== 'sysop' || r.chance(0.75);
    const reason = r.pick(profile.moveReasons);
    const fromTitle = this.prefixed(wiki, from.namespace, from.dbKey);
    const toTitle = this.prefixed(wiki, to.namespace, to.dbKey);
    // Comments link titles in their display form, with spaces.
    const revComment = profile.moveComment(
      performer.name,
      fromTitle.replace(/_/g, ' '),
      toTitle.replace(/_/g, ' '),
      reason,
    );

    const parent = latest(page);
    const dtMs = this.tick();
    wiki.titles.delete(titleKey(from.namespace, from.dbKey));
    page.namespace = to.namespace;
    page.dbKey = to.dbKey;
    wiki.titles.set(titleKey(to.namespace, to.dbKey), page);
    // The move's null revision: same content (sha1, size, slot origin), new id.
    this.addRevision(wiki, page, {
      dt: new Date(dtMs).toISOString(),
      sha1: parent.sha1,
      size: parent.size,
      minor: true,
      comment: revComment,
      editor: performer,
      originRevId: parent.originRevId,
    });
    this.touch(wiki, page);
    const event = this.envelope(wiki, 'move', page, dtMs, performer);
    event.comment = reason;
    // prior_state.page carries only the fields that changed.
    event.prior_state = {
      page: {
        page_title: fromTitle,
        ...(from.namespace !== to.namespace ? { namespace_id: from.namespace } : {}),
      },
      revision: this.revisionEntity(parent),
    };
    if (leaveRedirect) {
      const redirect = this.createRedirect(wiki, from, to, performer, revComment);
      event.created_redirect_page = {
        page_id: redirect.page.page_id,
        page_title: redirect.page.page_title,
        namespace_id: redirect.page.namespace_id,
        is_redirect: true,
      };
      this.pending.push(redirect);
    }
    return event;
  }

  /** The page a move leaves at the old title, and its own `create` event. */
  private createRedirect(
    wiki: WikiState,
    from: { namespace: number; dbKey: string },
    to: { namespace: number; dbKey: string },
    performer: Actor,
    comment: string,
  ): PageChangeEvent {
    const dtMs = this.tick();
    const page: PageState = {
      pageId: wiki.nextPageId,
      namespace: from.namespace,
      dbKey: from.dbKey,
      live: true,
      redirectTo: to,
      revisions: [],
      revisionCount: 0,
    };
    wiki.nextPageId += this.random.int(1, 4);
    const text = wiki.profile.redirectText(this.prefixed(wiki, to.namespace, to.dbKey).replace(/_/g, ' '));
    this.addRevision(wiki, page, {
      dt: new Date(dtMs).toISOString(),
      sha1: sha1Base36(text),
      size: Buffer.byteLength(text),
      minor: false,
      comment,
      editor: performer,
    });
    wiki.pages.push(page);
    wiki.titles.set(titleKey(from.namespace, from.dbKey), page);
    const event = this.envelope(wiki, 'create', page, dtMs, performer);
    event.comment = comment;
    return event;
  }

  private delete(wiki: WikiState): PageChangeEvent | undefined {
    const candidates = this.livePages(wiki);
    // Keep a few pages around, or the demo's wikis would empty out early on.
    if (candidates.length < 5) return undefined;
    const page = this.random.pick(candidates);
    const performer = this.sysop(wiki);
    const dtMs = this.tick();
    page.live = false;
    wiki.titles.delete(titleKey(page.namespace, page.dbKey));
    const event = this.envelope(wiki, 'delete', page, dtMs, performer);
    // The number of revisions archived with the page.
    event.page.revision_count = page.revisionCount;
    event.comment = this.random.pick(wiki.profile.deleteReasons);
    return event;
  }

  private undelete(wiki: WikiState): PageChangeEvent | undefined {
    // A title taken again since the delete would need a history merge: not restorable here.
    const candidates = wiki.pages.filter((p) => !p.live && !wiki.titles.has(titleKey(p.namespace, p.dbKey)));
    if (candidates.length === 0) return undefined;
    const page = this.random.pick(candidates);
    const performer = this.sysop(wiki);
    const dtMs = this.tick();
    page.live = true;
    wiki.titles.set(titleKey(page.namespace, page.dbKey), page);
    // Restoring brings back the archived revisions; the page keeps its id, so no prior_state.
    const event = this.envelope(wiki, 'undelete', page, dtMs, performer);
    event.comment = this.random.pick(wiki.profile.undeleteReasons);
    return event;
  }

  private visibilityChange(wiki: WikiState): PageChangeEvent | undefined {
    const r = this.random;
    const pages = this.livePages(wiki);
    if (pages.length === 0) return undefined;
    const page = r.pick(pages);
    const hidden = page.revisions.filter((rev) => !rev.commentVisible || !rev.editorVisible);
    const hideable = page.revisions.filter((rev) => rev.commentVisible || rev.editorVisible);
    let rev: RevisionState;
    let comment: boolean;
    let editor: boolean;
    if (hidden.length > 0 && (hideable.length === 0 || r.chance(0.3))) {
      // Undo an earlier revision deletion.
      rev = r.pick(hidden);
      comment = true;
      editor = true;
    } else {
      // Usually an older revision: vandalism found later, or a personal attack in a summary.
      const current = latest(page);
      const older = hideable.filter((h) => h !== current);
      rev = older.length > 0 && (r.chance(0.8) || !hideable.includes(current)) ? r.pick(older) : current;
      const what = r.weighted<'comment' | 'editor' | 'both'>([
        ['comment', 50],
        ['editor', 20],
        ['both', 30],
      ]);
      // Something still visible gets hidden: the other field when the chosen one already is.
      let hideComment = what !== 'editor';
      let hideEditor = what !== 'comment';
      if (!rev.commentVisible) [hideComment, hideEditor] = [false, true];
      if (!rev.editorVisible) [hideComment, hideEditor] = [true, false];
      comment = rev.commentVisible && !hideComment;
      editor = rev.editorVisible && !hideEditor;
    }
    const prior = { is_comment_visible: rev.commentVisible, is_editor_visible: rev.editorVisible };
    rev.commentVisible = comment;
    rev.editorVisible = editor;
    const performer = this.sysop(wiki);
    const dtMs = this.tick();
    const event = this.envelope(wiki, 'visibility_change', page, dtMs, performer);
    event.revision = this.revisionEntity(rev);
    // Only the flags that changed, with their old values; the hook gives no reason, so no comment.
    const changed: Partial<PageChangeEvent['revision']> = {};
    if (prior.is_comment_visible !== comment) changed.is_comment_visible = prior.is_comment_visible;
    if (prior.is_editor_visible !== editor) changed.is_editor_visible = prior.is_editor_visible;
    event.prior_state = { revision: changed };
    return event;
  }
}
