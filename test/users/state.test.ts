/**
 * The merge rules of `subgraphs/users/state.ts`, change by change: each fact
 * follows its own rule (newest statement, maximum, minimum), redelivery is a
 * no-op, and an older change arriving late never displaces a newer one.
 */
import type { BlockRecord, UserChange, UserObservation, UserRecord } from '../../subgraphs/users/model';
import { isBlockActive, isBotUser, mergeUser } from '../../subgraphs/users/state';

const T = 1_700_000_000_000_000;

function seen(dtUs: number, facts: Partial<UserObservation> = {}): UserChange {
  return {
    user: {
      wikiId: 'enwiki',
      name: 'Alice',
      dtUs,
      userId: null,
      isBot: null,
      groups: null,
      editCount: null,
      registeredUs: null,
      ...facts,
    },
    block: null,
  };
}

function block(dtUs: number, facts: Partial<BlockRecord> = {}): BlockRecord {
  return {
    dtUs,
    expiresUs: null,
    reason: 'vandalism',
    blockedBy: 'Admin',
    hidesName: false,
    blocksEmail: false,
    blocksOwnTalkPage: false,
    blocksAccountCreation: true,
    isSitewide: true,
    restrictions: [],
    ...facts,
  };
}

function blocked(dtUs: number, facts: Partial<BlockRecord> = {}): UserChange {
  return { ...seen(dtUs), block: block(dtUs, facts) };
}

function fold(changes: UserChange[]): UserRecord {
  let state: UserRecord | undefined;
  for (const c of changes) state = mergeUser(state, c);
  return state!;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((head, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [head, ...rest]),
  );
}

describe('mergeUser', () => {
  it('starts a row from the first change, knowing only what it states', () => {
    expect(mergeUser(undefined, seen(T, { userId: 42, editCount: 3 }))).toEqual({
      wikiId: 'enwiki',
      name: 'Alice',
      userId: 42,
      userIdDtUs: T,
      isBot: null,
      isBotDtUs: null,
      groups: null,
      groupsDtUs: null,
      editCount: 3,
      registeredUs: null,
      firstSeenUs: T,
      block: null,
    });
  });

  it('takes each changeable fact from the newest change stating it, in any order', () => {
    // The newest change states no groups; the middle one's groups must win over the oldest's.
    const changes = [
      seen(T, { groups: ['*'], isBot: false, userId: 1 }),
      seen(T + 10, { groups: ['*', 'sysop'], userId: 2 }),
      seen(T + 20, { isBot: true }),
    ];
    for (const order of permutations(changes)) {
      expect(fold(order)).toMatchObject({
        groups: ['*', 'sysop'],
        groupsDtUs: T + 10,
        isBot: true,
        isBotDtUs: T + 20,
        userId: 2,
        userIdDtUs: T + 10,
      });
    }
  });

  it('keeps the highest edit count, the earliest registration and the earliest sighting', () => {
    const changes = [
      seen(T + 5, { editCount: 12, registeredUs: 100 }),
      seen(T, { editCount: 10 }),
      seen(T + 9, { editCount: 11, registeredUs: 90 }),
    ];
    for (const order of permutations(changes)) {
      expect(fold(order)).toMatchObject({ editCount: 12, registeredUs: 90, firstSeenUs: T });
    }
  });

  it('replaces the block whole with the newest one, in any order', () => {
    const partial = blocked(T + 10, {
      isSitewide: false,
      restrictions: [{ type: 'ns', value: 4 }],
      expiresUs: T + 1000,
    });
    const changes = [blocked(T, { reason: 'first' }), partial, seen(T + 20)];
    for (const order of permutations(changes)) expect(fold(order).block).toEqual(partial.block);
  });

  it('lets the later-applied of two changes with one time win', () => {
    const a = blocked(T, { reason: 'a' });
    const b = blocked(T, { reason: 'b' });
    expect(fold([a, b]).block?.reason).toBe('b');
    expect(fold([b, a]).block?.reason).toBe('a');
  });

  it('is a no-op for a redelivered change', () => {
    const changes = [
      seen(T, { userId: 4, groups: ['*'], editCount: 1 }),
      blocked(T + 1),
      seen(T + 2, { editCount: 2 }),
    ];
    const once = fold(changes);
    expect(fold([...changes, ...changes])).toEqual(once);
    expect(mergeUser(once, changes[1]!)).toEqual(once);
  });

  it('neither keeps nor shares references to its inputs', () => {
    const change = {
      ...seen(T, { groups: ['*'] }),
      block: block(T, { restrictions: [{ type: 'page', value: 1 }] }),
    };
    const state = mergeUser(undefined, change);
    change.user.groups!.push('changed');
    change.block.restrictions[0]!.value = 99;
    expect(state.groups).toEqual(['*']);
    expect(state.block?.restrictions).toEqual([{ type: 'page', value: 1 }]);
  });
});

describe('isBlockActive', () => {
  it('is true before the expiry, false from it on, and always for an indefinite block', () => {
    expect(isBlockActive(block(T, { expiresUs: T + 5 }), T + 4)).toBe(true);
    expect(isBlockActive(block(T, { expiresUs: T + 5 }), T + 5)).toBe(false);
    expect(isBlockActive(block(T, { expiresUs: null }), Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(isBlockActive(null, T)).toBe(false);
  });
});

describe('isBotUser', () => {
  it('follows the stated flag, then the bot group, then says no', () => {
    expect(isBotUser({ isBot: false, groups: ['bot'] })).toBe(false);
    expect(isBotUser({ isBot: null, groups: ['*', 'bot'] })).toBe(true);
    expect(isBotUser({ isBot: null, groups: null })).toBe(false);
  });
});
