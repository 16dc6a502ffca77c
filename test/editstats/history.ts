/**
 * A simulated wiki for the `editstats` tests: it emits schema-valid
 * `mediawiki/page/change` 1.2.0 events (built on test/fixtures/page-change.ts)
 * over several UTC days, and keeps its own tally of what the statistics must
 * be. The tally is the oracle: it is kept from what the simulation chose (who
 * edited, how big each revision is), not by calling the product's rules.
 */
import type { PageChangeEvent, UserEntity } from '../../streams/contracts/page-change';
import type { PageChangeKind } from '../../streams/contracts/page-change';
import type { ValidEvent } from '../../platform/product';
import { pageChange } from '../fixtures/page-change';
import { prng } from '../fixtures/random';

export type Kind = 'registered' | 'anonymous' | 'bot';

export interface Counts {
  edits: number;
  registeredEdits: number;
  anonymousEdits: number;
  botEdits: number;
  netBytes: number;
}

export interface Point extends Counts {
  day: string;
}

/** Every way the events name an editor, with the kind it must count as. */
const EDITORS: { kind: Kind; user: UserEntity }[] = [
  { kind: 'registered', user: { user_id: 42, user_text: 'Alice', is_bot: false, groups: ['*', 'user'] } },
  { kind: 'registered', user: { user_id: 7, user_text: 'Zoë', groups: ['*', 'user', 'sysop'] } },
  { kind: 'bot', user: { user_id: 99, user_text: 'FlagBot', is_bot: true, groups: ['*', 'user', 'bot'] } },
  // In the bot group but is_bot not sent: the group alone makes it a bot.
  { kind: 'bot', user: { user_id: 98, user_text: 'GroupBot', groups: ['*', 'user', 'bot'] } },
  { kind: 'anonymous', user: { user_text: '192.0.2.7' } },
  { kind: 'anonymous', user: { user_text: '2001:db8::1' } },
  // A temporary account has a user id but counts as anonymous.
  { kind: 'anonymous', user: { user_id: 500, user_text: '~2026-1', is_temp: true, groups: ['*', 'temp'] } },
];

function dayOf(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

function zero(): Counts {
  return { edits: 0, registeredEdits: 0, anonymousEdits: 0, botEdits: 0, netBytes: 0 };
}

interface SimPage {
  pageId: number;
  title: string;
  size: number;
  latestRevId: number;
}

export interface HistoryOptions {
  seed?: number;
  /** First event time; default 2026-01-01T00:00:00Z. */
  start?: number;
  /** Mean gap between events, ms; default 1 minute (about 1,400 events a day). */
  meanGapMs?: number;
  /** First page id, so several histories can share a wiki without colliding. */
  firstPageId?: number;
  /** First revision id; default 1. */
  firstRevId?: number;
}

export class EditHistory {
  readonly events: PageChangeEvent[] = [];
  readonly pages: SimPage[] = [];
  /** (page, day) → counts, the oracle. */
  private readonly pageDays = new Map<string, Counts>();
  private readonly random: () => number;
  private clock: number;
  private nextPageId: number;
  private nextRevId: number;
  private readonly meanGapMs: number;

  constructor(
    readonly wikiId: string,
    options: HistoryOptions = {},
  ) {
    this.random = prng(options.seed ?? 1);
    this.clock = options.start ?? Date.UTC(2026, 0, 1);
    this.meanGapMs = options.meanGapMs ?? 60_000;
    this.nextPageId = options.firstPageId ?? 1;
    this.nextRevId = options.firstRevId ?? 1;
  }

  /** The events as the ingest hands them to a binding. */
  valid(events: readonly PageChangeEvent[] = this.events): ValidEvent<PageChangeEvent>[] {
    return events.map((event, i) => ({ event, topic: 'test', partition: 0, offset: String(i) }));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private tick(): number {
    this.clock += 1 + Math.floor(this.random() * 2 * this.meanGapMs);
    return this.clock;
  }

  private record(pageId: number, ms: number, kind: Kind, netBytes: number): void {
    const key = `${pageId}\u0000${dayOf(ms)}`;
    const c = this.pageDays.get(key) ?? zero();
    c.edits++;
    if (kind === 'registered') c.registeredEdits++;
    else if (kind === 'anonymous') c.anonymousEdits++;
    else c.botEdits++;
    c.netBytes += netBytes;
    this.pageDays.set(key, c);
  }

  private event(
    kind: PageChangeKind,
    page: SimPage,
    revId: number,
    ms: number,
    editor: UserEntity,
    extra: Partial<PageChangeEvent> = {},
  ): PageChangeEvent {
    const iso = new Date(ms).toISOString();
    const event = pageChange({
      kind,
      wikiId: this.wikiId,
      pageId: page.pageId,
      title: page.title,
      revId,
      dt: iso,
      size: page.size,
    });
    event.revision.rev_dt = iso;
    event.revision.editor = editor;
    event.performer = editor;
    Object.assign(event, extra);
    this.events.push(event);
    return event;
  }

  /** Moves the clock to `ms` (later events follow it), e.g. to leave days without edits. */
  jumpTo(ms: number): void {
    this.clock = ms;
  }

  create(size = Math.floor(this.random() * 20_000)): SimPage {
    const page: SimPage = {
      pageId: this.nextPageId++,
      title: `Page_${this.nextPageId}_${this.wikiId}`,
      size,
      latestRevId: this.nextRevId++,
    };
    this.pages.push(page);
    const ms = this.tick();
    const editor = this.pick(EDITORS);
    this.event('create', page, page.latestRevId, ms, editor.user);
    this.record(page.pageId, ms, editor.kind, size);
    return page;
  }

  /** An edit; `knownParentSize: false` leaves the parent's size out, as an event may. */
  edit(page: SimPage, knownParentSize = true): PageChangeEvent {
    const parent = { revId: page.latestRevId, size: page.size };
    page.size = Math.max(0, page.size + Math.floor(this.random() * 4000) - 1500);
    page.latestRevId = this.nextRevId++;
    const ms = this.tick();
    const editor = this.pick(EDITORS);
    const event = this.event('edit', page, page.latestRevId, ms, editor.user, {
      prior_state: {
        revision: knownParentSize
          ? { rev_id: parent.revId, rev_size: parent.size }
          : { rev_id: parent.revId },
      },
    });
    event.revision.rev_parent_id = parent.revId;
    this.record(page.pageId, ms, editor.kind, knownParentSize ? page.size - parent.size : 0);
    return event;
  }

  /** A page change that saves no edit of its own: it must change no count. */
  uncounted(page: SimPage, kind: Exclude<PageChangeKind, 'create' | 'edit'>): PageChangeEvent {
    // A move saves a null revision (same size); the others name the latest revision.
    const revId = kind === 'move' ? (page.latestRevId = this.nextRevId++) : page.latestRevId;
    return this.event(kind, page, revId, this.tick(), this.pick(EDITORS).user);
  }

  /** `n` events: mostly edits of random pages, some creations and some uncounted changes. */
  run(n: number): this {
    for (let i = 0; i < n; i++) {
      const r = this.random();
      if (this.pages.length === 0 || r < 0.1) this.create();
      else if (r < 0.18)
        this.uncounted(
          this.pick(this.pages),
          this.pick(['move', 'delete', 'undelete', 'visibility_change'] as const),
        );
      else this.edit(this.pick(this.pages), this.random() > 0.05);
    }
    return this;
  }

  /** Days with edits, ascending. */
  days(): string[] {
    return [...new Set([...this.pageDays.keys()].map((k) => k.split('\u0000')[1]!))].sort();
  }

  pageSeries(pageId: number, startDay = '00000000', endDay = '99999999'): Point[] {
    return [...this.pageDays]
      .map(([key, c]) => ({ id: Number(key.split('\u0000')[0]), day: key.split('\u0000')[1]!, c }))
      .filter((x) => x.id === pageId && x.day >= startDay && x.day <= endDay)
      .sort((a, b) => (a.day < b.day ? -1 : 1))
      .map((x) => ({ day: x.day, ...x.c }));
  }

  wikiSeries(startDay = '00000000', endDay = '99999999'): Point[] {
    const byDay = new Map<string, Counts>();
    for (const [key, c] of this.pageDays) {
      const day = key.split('\u0000')[1]!;
      if (day < startDay || day > endDay) continue;
      const sum = byDay.get(day) ?? zero();
      sum.edits += c.edits;
      sum.registeredEdits += c.registeredEdits;
      sum.anonymousEdits += c.anonymousEdits;
      sum.botEdits += c.botEdits;
      sum.netBytes += c.netBytes;
      byDay.set(day, sum);
    }
    return [...byDay].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, c]) => ({ day, ...c }));
  }

  /** The top list by sorting every page of the day: the naive oracle for the bounded heap. */
  top(day: string, limit: number): (Counts & { pageId: number })[] {
    return [...this.pageDays]
      .filter(([key]) => key.split('\u0000')[1] === day)
      .map(([key, c]) => ({ pageId: Number(key.split('\u0000')[0]), ...c }))
      .sort((a, b) => b.edits - a.edits || a.pageId - b.pageId)
      .slice(0, limit);
  }
}
