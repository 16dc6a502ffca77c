/**
 * One contract for every `UsersStore` adapter: the same histories, built from
 * schema-shaped page_change and blocks-change events through the product's
 * normalisation, must leave the same state in the embedded store and in
 * MariaDB, whatever the delivery order, duplication or batching. The expected
 * state is not another adapter's output nor `state.ts`, but what the simulated
 * wiki itself knows about its users at the end of its history.
 *
 * Tests isolate themselves by wiki id, so one store (one database) serves a file.
 */
import type { PageChangeEvent, UserEntity } from '../../streams/contracts/page-change';
import {
  blocksChangeUserChanges,
  pageChangeUserChanges,
  type BlocksChangeEvent,
  type LegacyPerformer,
} from '../../subgraphs/users/events';
import type { BlockRecord, UserChange, UserKey, UserRecord } from '../../subgraphs/users/model';
import { createEmbeddedUsersStore } from '../../subgraphs/users/store/embedded';
import { openMariaDbUsersStore, UPSERT_CHUNK_ROWS } from '../../subgraphs/users/store/mariadb';
import type { UsersStore } from '../../subgraphs/users/store/port';
import { pageChange } from '../fixtures/page-change';
import { createTestDatabase, type TestDatabase } from '../harness/mariadb';
import { blocksChange } from './fixtures';
import { prng, shuffled, randomBatches as batches } from '../fixtures/random';

// ---------------------------------------------------------------------------
// A simulated wiki whose users edit and get blocked, and which knows what it told

/** ISO-8601 with microseconds, as Event Platform writes `dt`. */
function isoMicros(us: number): string {
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;
}

/** Names that trip up collations and limits: case, accents, 4-byte characters, a trailing space, 255 characters, IPs. */
const NAMES = [
  'Alice',
  'alice',
  'Zoë',
  'Zoe',
  '東京ユーザー',
  '😀 Emoji',
  'Alice ',
  'Ä'.repeat(255),
  'Tidy Bot',
  '192.0.2.1',
  '2001:DB8:0:0:0:0:0:1',
  '203.0.113.7',
];

interface SimUser {
  name: string;
  /** Null: an anonymous editor. */
  id: number | null;
  bot: boolean;
  registeredIso: string | null;
  groups: string[];
  editCount: number;
}

/** What the simulated wiki has told about one user, in time order. */
interface Told {
  firstUs: number;
  userId: { value: number; dtUs: number } | null;
  isBot: { value: boolean; dtUs: number } | null;
  groups: { value: string[]; dtUs: number } | null;
  maxEditCount: number | null;
  registeredUs: number | null;
  block: BlockRecord | null;
}

class UserHistory {
  readonly events: (PageChangeEvent | BlocksChangeEvent)[] = [];
  readonly users: SimUser[];
  private readonly told = new Map<string, Told>();
  private clockUs = Date.UTC(2024, 0, 1) * 1000;
  private nextRevId = 1;

  constructor(
    readonly wikiId: string,
    private readonly random: () => number = prng(1),
  ) {
    this.users = NAMES.map((name, i) => {
      const anonymous = /^[\d.]+$|:/.test(name);
      return {
        name,
        id: anonymous ? null : 100 + i,
        bot: name.endsWith('Bot'),
        registeredIso: anonymous || i % 4 === 3 ? null : new Date(Date.UTC(2015, i, 1)).toISOString(),
        groups: anonymous ? [] : name.endsWith('Bot') ? ['bot', '*', 'user'] : ['*', 'user'],
        editCount: anonymous ? 0 : i * 10,
      };
    });
  }

  get changes(): UserChange[] {
    return this.events.flatMap((e) =>
      'database' in e ? blocksChangeUserChanges(e) : pageChangeUserChanges(e),
    );
  }

  keys(): UserKey[] {
    return this.users.map((u) => ({ wikiId: this.wikiId, name: u.name }));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private tick(): number {
    // Strictly increasing: equal times are where order decides, and shuffled delivery has none.
    this.clockUs += 1 + Math.floor(this.random() * 3_000_000);
    return this.clockUs;
  }

  private record(name: string, dtUs: number, update: (t: Told) => void): void {
    let t = this.told.get(name);
    if (!t) {
      t = {
        firstUs: dtUs,
        userId: null,
        isBot: null,
        groups: null,
        maxEditCount: null,
        registeredUs: null,
        block: null,
      };
      this.told.set(name, t);
    }
    update(t);
  }

  private entity(u: SimUser, dtUs: number): UserEntity & { user_text: string } {
    if (u.id === null) {
      this.record(u.name, dtUs, (t) => (t.isBot = { value: false, dtUs }));
      return { user_text: u.name, is_bot: false, is_system: false, is_temp: false };
    }
    const entity = {
      user_text: u.name,
      user_id: u.id,
      is_bot: u.bot,
      groups: [...u.groups],
      edit_count: u.editCount,
      ...(u.registeredIso ? { registration_dt: u.registeredIso } : {}),
    };
    this.record(u.name, dtUs, (t) => {
      t.userId = { value: u.id!, dtUs };
      t.isBot = { value: u.bot, dtUs };
      t.groups = { value: [...u.groups], dtUs };
      t.maxEditCount = Math.max(t.maxEditCount ?? 0, u.editCount);
      if (u.registeredIso) t.registeredUs = Date.parse(u.registeredIso) * 1000;
    });
    return entity;
  }

  /** An edit by `u` (editor and performer). */
  edit(u: SimUser = this.pick(this.users)): void {
    const dtUs = this.tick();
    if (u.id !== null) u.editCount += 1;
    const revId = this.nextRevId++;
    const event = pageChange({
      kind: 'edit',
      wikiId: this.wikiId,
      pageId: 1 + (revId % 7),
      title: `Page_${revId % 7}`,
      revId,
      dt: isoMicros(dtUs),
    });
    event.revision.editor = this.entity(u, dtUs);
    event.performer = this.entity(u, dtUs);
    this.events.push(event);
  }

  /** A group change shows only in the user's next event. */
  regroup(u: SimUser): void {
    if (u.id === null) return;
    u.groups = u.groups.includes('rollbacker')
      ? u.groups.filter((g) => g !== 'rollbacker')
      : [...u.groups, 'rollbacker'];
  }

  /** A blocks-change for `target`, performed by `admin` (who is a user too). */
  block(target: SimUser, admin: SimUser): void {
    const dtUs = this.tick();
    const partial = this.random() < 0.3;
    const expiry = this.random() < 0.5 ? isoMicros(dtUs + 86_400_000_000) : undefined;
    const performer: LegacyPerformer = {
      user_text: admin.name,
      user_groups: [...admin.groups],
      user_is_bot: admin.bot,
      ...(admin.id !== null ? { user_id: admin.id, user_edit_count: admin.editCount } : {}),
      ...(admin.registeredIso ? { user_registration_dt: admin.registeredIso } : {}),
    };
    const reason = this.random() < 0.2 ? undefined : `reason ${dtUs} ✎`;
    const event = blocksChange({
      wikiId: this.wikiId,
      target: target.name,
      ...(target.id !== null ? { targetId: target.id } : {}),
      targetGroups: target.id === null ? ['*'] : [...target.groups],
      dt: isoMicros(dtUs),
      expiry,
      reason,
      performer,
      blocks: {
        name: this.random() < 0.1,
        email: this.random() < 0.5,
        user_talk: this.random() < 0.5,
        account_create: this.random() < 0.8,
        sitewide: !partial,
        restrictions: partial
          ? [
              { type: 'page', value: revIdish(dtUs) },
              { type: 'ns', value: 4 },
            ]
          : [],
      },
    });
    this.events.push(event);
    this.record(target.name, dtUs, (t) => {
      if (target.id !== null) t.userId = { value: target.id, dtUs };
      t.groups = { value: target.id === null ? ['*'] : [...target.groups], dtUs };
      t.block = {
        dtUs,
        expiresUs: expiry === undefined ? null : dtUs + 86_400_000_000,
        reason: reason ?? null,
        blockedBy: admin.name,
        hidesName: event.blocks.name,
        blocksEmail: event.blocks.email,
        blocksOwnTalkPage: event.blocks.user_talk,
        blocksAccountCreation: event.blocks.account_create,
        isSitewide: !partial,
        restrictions: event.blocks.restrictions!.map((r) => ({ ...r })),
      };
    });
    this.record(admin.name, dtUs, (t) => {
      if (admin.id !== null) {
        t.userId = { value: admin.id, dtUs };
        t.maxEditCount = Math.max(t.maxEditCount ?? 0, admin.editCount);
      }
      if (admin.registeredIso) t.registeredUs = Date.parse(admin.registeredIso) * 1000;
      t.isBot = { value: admin.bot, dtUs };
      t.groups = { value: [...admin.groups], dtUs };
    });
  }

  /** A random mix: edits, group changes, blocks and re-blocks. */
  generate(n: number): this {
    const admins = this.users.filter((u) => u.id !== null);
    for (let i = 0; i < n; i++) {
      const r = this.random();
      if (r < 0.65) this.edit();
      else if (r < 0.75) this.regroup(this.pick(this.users));
      else this.block(this.pick(this.users), this.pick(admins));
    }
    return this;
  }

  expected(): (UserRecord | null)[] {
    return this.users.map((u) => {
      const t = this.told.get(u.name);
      if (!t) return null;
      return {
        wikiId: this.wikiId,
        name: u.name,
        userId: t.userId?.value ?? null,
        userIdDtUs: t.userId?.dtUs ?? null,
        isBot: t.isBot?.value ?? null,
        isBotDtUs: t.isBot?.dtUs ?? null,
        groups: t.groups?.value ?? null,
        groupsDtUs: t.groups?.dtUs ?? null,
        editCount: t.maxEditCount,
        registeredUs: t.registeredUs,
        firstSeenUs: t.firstUs,
        block: t.block,
      };
    });
  }
}

/** A plausible page id derived from a time, so restrictions differ between blocks. */
function revIdish(dtUs: number): number {
  return 1 + (Math.floor(dtUs / 1000) % 100_000);
}

function withWiki(changes: readonly UserChange[], wikiId: string): UserChange[] {
  return changes.map((c) => ({ user: { ...c.user, wikiId }, block: c.block }));
}

// ---------------------------------------------------------------------------

let db: TestDatabase;
let wikiCounter = 0;
/** A wiki id no other test uses, so tests sharing one store stay independent. */
const freshWiki = () => `u${++wikiCounter}wiki`;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

const adapters: { name: string; open: () => Promise<UsersStore> }[] = [
  { name: 'embedded', open: async () => createEmbeddedUsersStore() },
  { name: 'mariadb', open: () => openMariaDbUsersStore(db.url) },
];

describe.each(adapters)('UsersStore contract: $name', ({ open }) => {
  let store: UsersStore;

  beforeAll(async () => {
    store = await open();
  });

  afterAll(async () => {
    await store?.close();
  });

  it('knows what the history told, applied in order in one batch', async () => {
    const h = new UserHistory(freshWiki()).generate(300);
    await store.applyChanges(h.changes);
    const expected = h.expected();
    // The history reaches every kind of fact, so the comparison below is not vacuous.
    expect(expected.every((u) => u !== null)).toBe(true);
    expect(expected.some((u) => u?.block?.isSitewide === false)).toBe(true);
    expect(expected.some((u) => u?.block?.expiresUs === null)).toBe(true);
    expect(expected.some((u) => u?.userId === null && u.block !== null)).toBe(true);
    expect(await store.usersByName(h.keys())).toEqual(expected);
  });

  it('reaches the same state from shuffled, duplicated deliveries in random batches', async () => {
    const random = prng(7);
    for (let round = 0; round < 4; round++) {
      const h = new UserHistory(freshWiki(), prng(100 + round)).generate(200);
      const changes = h.changes;
      // Every change at least once, a third of them twice, in any order.
      const deliveries = shuffled([...changes, ...changes.filter(() => random() < 0.33)], random);
      for (const batch of batches(deliveries, random, 40)) await store.applyChanges(batch);
      expect(await store.usersByName(h.keys())).toEqual(h.expected());
    }
  });

  it('leaves every row unchanged when a consumer restart redelivers everything', async () => {
    const h = new UserHistory(freshWiki(), prng(3)).generate(150);
    for (const batch of batches(h.changes, prng(4), 25)) await store.applyChanges(batch);
    const before = await store.usersByName(h.keys());
    for (const batch of batches(h.changes, prng(5), 60)) await store.applyChanges(batch);
    await store.applyChanges(h.changes.slice(-10));
    expect(await store.usersByName(h.keys())).toEqual(before);
    expect(before).toEqual(h.expected());
  });

  it('folds many changes for one user within a single batch as applied one by one', async () => {
    const wikiId = freshWiki();
    const h = new UserHistory(wikiId, prng(11));
    const alice = h.users[0]!;
    for (let i = 0; i < 30; i++) {
      h.edit(alice);
      if (i % 5 === 0) h.regroup(alice);
      if (i % 7 === 0) h.block(alice, h.users[1]!);
    }
    await store.applyChanges(h.changes);
    const [one] = await store.usersByName([{ wikiId, name: alice.name }]);
    expect(one).toEqual(h.expected()[0]);
    // The same history one change per call, into another wiki: identical rows.
    const other = freshWiki();
    for (const c of withWiki(h.changes, other)) await store.applyChanges([c]);
    const [each] = await store.usersByName([{ wikiId: other, name: alice.name }]);
    expect(each).toEqual({ ...one, wikiId: other });
  });

  it('treats names as exact strings: case, accents, trailing space and wiki are all part of the key', async () => {
    const h = new UserHistory(freshWiki(), prng(21));
    for (const u of h.users) h.edit(u);
    await store.applyChanges(h.changes);
    const found = await store.usersByName(h.keys());
    expect(found.map((u) => u?.name)).toEqual(NAMES);
    expect(
      await store.usersByName([
        { wikiId: h.wikiId, name: 'ALICE' },
        { wikiId: 'otherwiki', name: 'Alice' },
      ]),
    ).toEqual([null, null]);
  });

  it('answers keyed reads positionally, with duplicates and misses, as copies', async () => {
    const h = new UserHistory(freshWiki(), prng(31)).generate(40);
    await store.applyChanges(h.changes);
    const known = h.keys()[0]!;
    const result = await store.usersByName([known, { wikiId: h.wikiId, name: 'Nobody' }, known]);
    expect(result[1]).toBeNull();
    expect(result[0]).toEqual(result[2]);
    expect(result[0]).not.toBe(result[2]);
    result[0]!.groups?.push('mutated');
    expect((await store.usersByName([known]))[0]).toEqual(result[2]);
    expect(await store.usersByName([])).toEqual([]);
  });

  it('forgets everything on reset, and folds a replay into the empty store as the first time', async () => {
    const h = new UserHistory(freshWiki(), prng(71)).generate(60);
    await store.applyChanges(h.changes);
    await store.reset();
    expect(await store.usersByName(h.keys())).toEqual(h.keys().map(() => null));
    await store.applyChanges(h.changes);
    expect(await store.usersByName(h.keys())).toEqual(h.expected());
  });

  it(`applies a batch of more than ${UPSERT_CHUNK_ROWS} changes, and one of long block reasons`, async () => {
    const h = new UserHistory(freshWiki(), prng(41)).generate(UPSERT_CHUNK_ROWS * 2);
    await store.applyChanges(h.changes);
    expect(await store.usersByName(h.keys())).toEqual(h.expected());

    // 300 reasons of 64 kB are 19 MB of values: more than one statement may carry.
    const wikiId = freshWiki();
    const reason = 'é'.repeat(32_000);
    const changes: UserChange[] = Array.from({ length: 300 }, (_, i) => ({
      user: {
        wikiId,
        name: `User ${i}`,
        dtUs: 1,
        userId: i + 1,
        isBot: null,
        groups: null,
        editCount: null,
        registeredUs: null,
      },
      block: {
        dtUs: 1,
        expiresUs: null,
        reason,
        blockedBy: null,
        hidesName: false,
        blocksEmail: false,
        blocksOwnTalkPage: false,
        blocksAccountCreation: false,
        isSitewide: true,
        restrictions: [],
      },
    }));
    await store.applyChanges(changes);
    const [last] = await store.usersByName([{ wikiId, name: 'User 299' }]);
    expect(last?.block?.reason).toBe(reason);
  });
});

describe('MariaDB adapter', () => {
  let store: UsersStore;

  beforeAll(async () => {
    store = await openMariaDbUsersStore(db.url);
  });

  afterAll(async () => {
    await store?.close();
  });

  it('writes a batch atomically: a change it must refuse leaves nothing of the batch', async () => {
    const h = new UserHistory(freshWiki(), prng(51)).generate(30);
    const changes = h.changes;
    const bad = { user: { ...changes[0]!.user, name: 'N'.repeat(256) }, block: null };
    await expect(store.applyChanges([...changes, bad])).rejects.toThrow(/too long|Data too long/i);
    expect(await store.usersByName(h.keys())).toEqual(h.keys().map(() => null));
  });

  it('describes itself and is durable; reopening finds the rows and migrates nothing twice', async () => {
    expect(store.description).toMatch(/^mariadb 127\.0\.0\.1:3306\/sdp_t_/);
    expect(store.durable).toBe(true);
    const h = new UserHistory(freshWiki(), prng(61)).generate(20);
    await store.applyChanges(h.changes);
    const again = await openMariaDbUsersStore(db.url);
    try {
      expect(await again.usersByName(h.keys())).toEqual(h.expected());
    } finally {
      await again.close();
    }
  });
});
