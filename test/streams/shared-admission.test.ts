/**
 * One parse and schema check per message for all the ingests of a process
 * (streams/shared-admission.ts): what is shared, what never is, how much is
 * kept, and that every product's page_change binding leaves the shared events
 * as they were.
 */
import pino from 'pino';
import { loadConfig } from '../../config/env';
import { DEMO_SEED } from '../../demo/feeder';
import { PageChangeGenerator } from '../../demo/page-change-generator';
import type { ValidEvent } from '../../platform/product';
import { loadProducts } from '../../platform/products';
import { PAGE_CHANGE_SCHEMA_TITLE, PAGE_CHANGE_STREAM } from '../../streams/contracts/page-change';
import type { LogMessage } from '../../streams/port';
import { loadEventSchemas, type EventSchemas } from '../../streams/schemas';
import { SharedAdmission } from '../../streams/shared-admission';

const TOPIC = 'eqiad.mediawiki.page_change.v1';
const schemas = loadEventSchemas();
const events = new PageChangeGenerator({ seed: DEMO_SEED }).nextN(300);

/** The real registry, counting how often an event is validated. */
function counting(): EventSchemas & { validations: number } {
  const counted = {
    validations: 0,
    ids: () => schemas.ids(),
    validate(event: unknown, title: string) {
      counted.validations++;
      return schemas.validate(event, title);
    },
  };
  return counted;
}

function message(offset: number, value: string | null, partition = 0): LogMessage {
  return {
    topic: TOPIC,
    partition,
    offset: String(offset),
    key: null,
    value: value === null ? null : Buffer.from(value),
    headers: {},
    timestamp: '0',
  };
}

test('two readers of a topic: each message is parsed and validated once, and both get its event', () => {
  const registry = counting();
  const shared = new SharedAdmission(registry);
  shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  const messages = events.slice(0, 50).map((e, i) => message(i, JSON.stringify(e)));
  const first = messages.map((m) => shared.admit(m, PAGE_CHANGE_SCHEMA_TITLE));
  const second = messages.map((m) =>
    shared.admit({ ...m, value: Buffer.from(m.value!) }, PAGE_CHANGE_SCHEMA_TITLE),
  );
  expect(registry.validations).toBe(50);
  expect(second).toEqual(first);
  expect(first.every((a) => 'event' in a)).toBe(true);
  // Taken by every reader: nothing is kept.
  expect(shared.stats()).toEqual({ hits: 50, checks: 50, kept: 0 });
});

test('a rejection is shared with its reason, and tombstones and non-JSON are rejected once', () => {
  const registry = counting();
  const shared = new SharedAdmission(registry);
  shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  const invalid = JSON.stringify({ ...events[0], page_change_kind: 'teleport' });
  for (const [offset, value, reason] of [
    [0, invalid, /page_change_kind/],
    [1, '{"unterminated', /^value is not JSON/],
    [2, null, /tombstone/],
  ] as const) {
    const a = shared.admit(message(offset, value), PAGE_CHANGE_SCHEMA_TITLE);
    const b = shared.admit(message(offset, value), PAGE_CHANGE_SCHEMA_TITLE);
    expect(a).toEqual({ reason: expect.stringMatching(reason) });
    expect(b).toBe(a);
  }
  expect(registry.validations).toBe(1);
});

test('other bytes at the same offset (a topic deleted and recreated) are checked again, never handed the kept result', () => {
  const registry = counting();
  const shared = new SharedAdmission(registry);
  shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  const before = shared.admit(message(7, JSON.stringify(events[0])), PAGE_CHANGE_SCHEMA_TITLE);
  const hostile = JSON.stringify({ ...events[1], page_change_kind: 'teleport' });
  const after = shared.admit(message(7, hostile), PAGE_CHANGE_SCHEMA_TITLE);
  expect('event' in before).toBe(true);
  expect(after).toEqual({ reason: expect.stringMatching(/page_change_kind/) });
  expect(registry.validations).toBe(2);
});

test('partitions, topics and schema titles are told apart', () => {
  const shared = new SharedAdmission(schemas);
  for (let i = 0; i < 2; i++) {
    shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
    shared.register(TOPIC, 'mediawiki/user/blocks-change');
  }
  const value = JSON.stringify(events[0]);
  const asPages = shared.admit(message(0, value, 0), PAGE_CHANGE_SCHEMA_TITLE);
  const otherPartition = shared.admit(message(0, JSON.stringify(events[1]), 1), PAGE_CHANGE_SCHEMA_TITLE);
  const asBlocks = shared.admit(message(0, value, 0), 'mediawiki/user/blocks-change');
  expect('event' in asPages && (asPages.event as { meta: { id: string } }).meta.id).toBe(events[0]!.meta.id);
  expect('event' in otherPartition && (otherPartition.event as { meta: { id: string } }).meta.id).toBe(
    events[1]!.meta.id,
  );
  expect(asBlocks).toEqual({
    reason: expect.stringMatching(/this stream carries mediawiki\/user\/blocks-change/),
  });
});

test('a sole reader keeps nothing; a reader that falls behind the bound checks again and gets the same answer', () => {
  const registry = counting();
  const alone = new SharedAdmission(registry);
  alone.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  for (let i = 0; i < 10; i++) alone.admit(message(i, JSON.stringify(events[i])), PAGE_CHANGE_SCHEMA_TITLE);
  expect(alone.stats()).toEqual({ hits: 0, checks: 10, kept: 0 });

  const shared = new SharedAdmission(schemas, 5);
  shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  const unregister = shared.register(TOPIC, PAGE_CHANGE_SCHEMA_TITLE);
  const messages = events.slice(0, 20).map((e, i) => message(i, JSON.stringify(e)));
  const ahead = messages.map((m) => shared.admit(m, PAGE_CHANGE_SCHEMA_TITLE));
  expect(shared.stats().kept).toBe(5);
  const behind = messages.map((m) => shared.admit(m, PAGE_CHANGE_SCHEMA_TITLE));
  expect(behind).toEqual(ahead);
  // Its misses are kept for the others in turn (they may be behind too), still within the bound.
  expect(shared.stats()).toEqual({ hits: 0, checks: 40, kept: 5 });
  // The second reader gone, nothing it would have taken is kept.
  shared.admit(messages[0]!, PAGE_CHANGE_SCHEMA_TITLE);
  unregister();
  expect(shared.stats().kept).toBe(0);
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

test("every product's page_change binding leaves the shared events unchanged", async () => {
  const config = loadConfig({});
  const logger = pino({ level: 'silent' });
  const valid: ValidEvent<unknown>[] = events.map((event, i) =>
    deepFreeze({
      event: JSON.parse(JSON.stringify(event)) as unknown,
      topic: TOPIC,
      partition: 0,
      offset: String(i),
    }),
  );
  const readers = loadProducts().flatMap((p) =>
    p.streams.filter((s) => s.stream === PAGE_CHANGE_STREAM).map((binding) => ({ product: p, binding })),
  );
  expect(readers.map((r) => r.product.name).sort()).toEqual(['editstats', 'pages', 'users']);
  for (const { product, binding } of readers) {
    const store = await product.openStore({ config, logger });
    try {
      // Strict mode: writing to a frozen object throws.
      await binding.apply(store, valid);
    } finally {
      await store.close();
    }
  }
  expect(valid.map((v) => v.event)).toEqual(events);
});
