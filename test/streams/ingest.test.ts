/**
 * Stream ingest end to end on both event logs: real produce, real consumer groups,
 * real dead-letter topic. The store is the test's own sink (an array of what was
 * applied), with switches to make apply fail or hang the way a database would.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deadLetterTopic } from '../../config/env';
import type { StreamBinding, ValidEvent } from '../../platform/product';
import { EmbeddedEventLog } from '../../streams/embedded/log';
import { DLQ_HEADERS, startIngest, type IngestHandle } from '../../streams/ingest';
import type { EventLog, LogConsumer, LogMessage } from '../../streams/port';
import { loadEventSchemas } from '../../streams/schemas';
import type { PageChangeEvent } from '../../streams/contracts/page-change';
import { testKafkaLog, testLogger, uniqueTopic } from '../harness/kafka';
import { waitFor } from '../harness/wait';

jest.setTimeout(60_000);

const EXAMPLE = JSON.parse(
  readFileSync(
    path.join(__dirname, '..', '..', 'demo', 'examples', 'mediawiki.page_change.v1.ndjson'),
    'utf8',
  ).split('\n')[0]!,
) as PageChangeEvent;

function edit(pageId: number, revId: number): PageChangeEvent {
  const dt = new Date(Date.parse('2026-01-05T00:00:00Z') + revId * 1000).toISOString();
  return {
    ...EXAMPLE,
    dt,
    page: { ...EXAMPLE.page, page_id: pageId },
    revision: { ...EXAMPLE.revision, rev_id: revId, rev_dt: dt },
  };
}

interface Sink {
  applied: ValidEvent<PageChangeEvent>[];
  applyCalls: number;
  /** Number of upcoming apply calls that fail, like a database that is down. */
  failures: number;
  /** When set, apply waits on it before writing, like a slow transaction. */
  gate: Promise<void> | undefined;
}

const binding: StreamBinding<Sink, PageChangeEvent> = {
  stream: 'mediawiki.page_change.v1',
  schemaTitle: 'mediawiki/page/change',
  key: (e) => ({ wiki_id: e.wiki_id, page_id: e.page.page_id }),
  async apply(store, events) {
    store.applyCalls++;
    if (store.gate) await store.gate;
    if (store.failures > 0) {
      store.failures--;
      throw new Error('store unavailable');
    }
    store.applied.push(...events);
  },
};

function newSink(): Sink {
  return { applied: [], applyCalls: 0, failures: 0, gate: undefined };
}

const schemas = loadEventSchemas();

const adapters: [string, () => EventLog][] = [
  ['embedded', () => new EmbeddedEventLog({ logger: testLogger(), initialBackoffMs: 20 })],
  ['kafka', () => testKafkaLog()],
];

describe.each(adapters)('stream ingest on %s', (_name, create) => {
  let log: EventLog;
  const cleanup: (IngestHandle | LogConsumer)[] = [];

  beforeAll(() => {
    log = create();
  });
  afterEach(async () => {
    await Promise.all(cleanup.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await log.close();
  });

  async function produce(topic: string, values: { key: string; value: string | Buffer }[]): Promise<void> {
    const producer = await log.producer();
    try {
      await producer.send(topic, values);
    } finally {
      await producer.close();
    }
  }

  function keyOf(e: PageChangeEvent): string {
    return JSON.stringify(binding.key(e));
  }

  async function ingest(topic: string, groupId: string, store: Sink): Promise<IngestHandle> {
    const handle = await startIngest({ log, schemas, binding, store, groupId, topic, logger: testLogger() });
    cleanup.push(handle);
    return handle;
  }

  test('invalid events go to the dead-letter topic verbatim with the reason, and the next valid event applies', async () => {
    const topic = uniqueTopic('ingest-dlq');
    const group = uniqueTopic('pages');
    const key = keyOf(edit(7, 1));
    const notJson = Buffer.from('{"$schema": "/mediawiki/page/change/1.2.0", \xff oops');
    const badPage = edit(7, 2);
    (badPage.page as unknown as Record<string, unknown>).page_id = 'seven';
    const badPageBytes = JSON.stringify(badPage);
    const unknownSchema = JSON.stringify({ ...edit(7, 3), $schema: '/mediawiki/page/change/7.0.0' });
    // One key, so one partition, so this is also the order they are read in.
    await produce(topic, [
      { key, value: JSON.stringify(edit(7, 1)) },
      { key, value: notJson },
      { key, value: badPageBytes },
      { key, value: unknownSchema },
      { key, value: JSON.stringify(edit(7, 5)) },
    ]);

    const dead: LogMessage[] = [];
    const dlqReader = log.consumer({ groupId: uniqueTopic('dlq-reader'), topics: [deadLetterTopic(topic)] });
    cleanup.push(dlqReader);
    const store = newSink();
    const [handle] = await Promise.all([
      ingest(topic, group, store),
      dlqReader.run(async (batch) => {
        dead.push(...batch.messages);
      }),
    ]);

    await waitFor('two applied events', () => store.applied.length >= 2);
    await waitFor('three dead letters', () => dead.length >= 3);

    expect(store.applied.map((v) => v.event.revision.rev_id)).toEqual([1, 5]);
    const partition = store.applied[0]!.partition;
    expect(store.applied.map((v) => [v.topic, v.partition, v.offset])).toEqual([
      [topic, partition, '0'],
      [topic, partition, '4'],
    ]);

    expect(dead.map((m) => m.value)).toEqual([
      notJson,
      Buffer.from(badPageBytes),
      Buffer.from(unknownSchema),
    ]);
    for (const [i, m] of dead.entries()) {
      expect(m.key?.toString()).toBe(key);
      expect(m.headers[DLQ_HEADERS.sourceTopic]).toBe(topic);
      expect(m.headers[DLQ_HEADERS.sourcePartition]).toBe(String(partition));
      expect(m.headers[DLQ_HEADERS.sourceOffset]).toBe(String(i + 1));
      expect(m.headers[DLQ_HEADERS.consumerGroup]).toBe(group);
      expect(Math.abs(Date.parse(m.headers[DLQ_HEADERS.at]!) - Date.now())).toBeLessThan(60_000);
    }
    expect(dead[0]!.headers[DLQ_HEADERS.reason]).toMatch(/^value is not JSON: /);
    expect(dead[1]!.headers[DLQ_HEADERS.reason]).toBe('/page/page_id must be integer');
    expect(dead[2]!.headers[DLQ_HEADERS.reason]).toBe(
      'unknown $schema "/mediawiki/page/change/7.0.0": not in schema/events/',
    );

    await waitFor('offsets committed past the last message', async () => {
      return (await log.committed(group, topic))[partition] === '5';
    });
    const stats = handle.stats();
    expect(stats).toMatchObject({
      applied: 2,
      deadLettered: 3,
      lastEventDt: edit(7, 5).dt,
      positions: [{ partition, offset: '5' }],
    });
    expect(stats.batches).toBeGreaterThanOrEqual(1);
    expect(stats.lastAppliedAt).toBeGreaterThan(Date.now() - 60_000);
  });

  test('a failing apply is retried with the same events until it succeeds: nothing lost, nothing committed early', async () => {
    const topic = uniqueTopic('ingest-retry');
    const group = uniqueTopic('pages');
    const events = [edit(1, 10), edit(2, 11), edit(1, 12), edit(3, 13), edit(2, 14), edit(1, 15)];
    await produce(
      topic,
      events.map((e) => ({ key: keyOf(e), value: JSON.stringify(e) })),
    );
    const store = newSink();
    store.failures = 3;
    const committedDuringFailures: Record<number, string>[] = [];
    const realApply = binding.apply;
    const handle = await startIngest({
      log,
      schemas,
      store,
      groupId: group,
      topic,
      logger: testLogger(),
      binding: {
        ...binding,
        apply: async (s, evs) => {
          if (s.failures > 0) committedDuringFailures.push(await log.committed(group, topic));
          return realApply(s, evs);
        },
      },
    });
    cleanup.push(handle);

    await waitFor('every event applied', () => store.applied.length >= events.length);
    expect(store.applyCalls).toBeGreaterThanOrEqual(events.length > 0 ? 4 : 0);
    expect(committedDuringFailures.every((c) => Object.keys(c).length === 0)).toBe(true);
    expect(store.applied.map((v) => v.event.revision.rev_id).sort()).toEqual([10, 11, 12, 13, 14, 15]);
    // Per page, log order survives the retries.
    for (const pageId of [1, 2, 3]) {
      const revs = store.applied
        .filter((v) => v.event.page.page_id === pageId)
        .map((v) => v.event.revision.rev_id);
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
    }
    expect(handle.stats().applied).toBe(events.length);
  });

  test('a batch whose apply never completed is delivered again to the next run of the group', async () => {
    const topic = uniqueTopic('ingest-crash');
    const group = uniqueTopic('pages');
    const events = [edit(9, 20), edit(9, 21), edit(9, 22)];
    await produce(
      topic,
      events.map((e) => ({ key: keyOf(e), value: JSON.stringify(e) })),
    );

    // The first run's apply hangs mid-transaction; the process is then told to stop
    // and the transaction aborts, as when a pod is killed during a slow write.
    const first = newSink();
    let abort!: () => void;
    first.gate = new Promise<void>((resolve) => (abort = resolve));
    first.failures = 1;
    const run1 = await ingest(topic, group, first);
    await waitFor('apply to start', () => first.applyCalls >= 1);
    expect(await log.committed(group, topic)).toEqual({});
    const stopping = run1.stop();
    abort();
    await stopping;
    expect(first.applied).toEqual([]);
    expect(await log.committed(group, topic)).toEqual({});

    const second = newSink();
    const run2 = await ingest(topic, group, second);
    await waitFor('redelivery', () => second.applied.length >= 3);
    expect(second.applied.map((v) => [v.offset, v.event.revision.rev_id])).toEqual([
      ['0', 20],
      ['1', 21],
      ['2', 22],
    ]);
    const partition = second.applied[0]!.partition;
    await waitFor('commit', async () => (await log.committed(group, topic))[partition] === '3');
    expect(run2.stats().positions).toEqual([{ partition, offset: '3' }]);
  });

  test('stop() lets the batch in flight finish and commit, so the next run does not repeat it', async () => {
    const topic = uniqueTopic('ingest-drain');
    const group = uniqueTopic('pages');
    const events = [edit(4, 30), edit(4, 31)];
    await produce(
      topic,
      events.map((e) => ({ key: keyOf(e), value: JSON.stringify(e) })),
    );
    const first = newSink();
    let finish!: () => void;
    first.gate = new Promise<void>((resolve) => (finish = resolve));
    const run1 = await ingest(topic, group, first);
    await waitFor('apply to start', () => first.applyCalls >= 1);
    const stopping = run1.stop();
    finish();
    await stopping;
    expect(first.applied).toHaveLength(2);
    const partition = first.applied[0]!.partition;
    expect(await log.committed(group, topic)).toEqual({ [partition]: '2' });

    await produce(topic, [{ key: keyOf(edit(4, 32)), value: JSON.stringify(edit(4, 32)) }]);
    const second = newSink();
    await ingest(topic, group, second);
    await waitFor('the new event', () => second.applied.length >= 1);
    await new Promise((r) => setTimeout(r, 300)); // room for a wrong redelivery to show up
    expect(second.applied.map((v) => v.event.revision.rev_id)).toEqual([32]);
  });
});
