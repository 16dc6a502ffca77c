/**
 * The EventLog contract (streams/port.ts), run unchanged against both adapters: the
 * in-process log and kafkajs on librdkafka's mock cluster over TCP. Each test uses
 * its own topic and groups, so tests never see each other's messages.
 */
import { loadConfig } from '../../config/env';
import { createEventLog } from '../../streams';
import { EmbeddedEventLog, murmur2, partitionForKey } from '../../streams/embedded/log';
import type { BatchHandler, EventLog, LogConsumer, LogMessage, StartFrom } from '../../streams/port';
import { testKafkaConfig, testKafkaLog, testLogger, uniqueTopic } from '../harness/kafka';
import { waitFor } from '../harness/wait';

const PARTITIONS = 4; // the mock cluster's default for auto-created topics

interface Payload {
  key: string;
  seq: number;
}

function value(m: LogMessage): Payload {
  return JSON.parse(m.value!.toString('utf8')) as Payload;
}

/** The mock cluster's consumer-group join takes ~3 s; nothing here should take longer than a few joins. */
jest.setTimeout(60_000);

const adapters: [string, () => EventLog][] = [
  [
    'embedded',
    () => new EmbeddedEventLog({ partitions: PARTITIONS, logger: testLogger(), initialBackoffMs: 20 }),
  ],
  ['kafka', () => testKafkaLog()],
];

describe.each(adapters)('EventLog contract: %s', (_name, create) => {
  let log: EventLog;
  const running = new Set<LogConsumer>();

  beforeAll(() => {
    log = create();
  });
  afterEach(async () => {
    await Promise.all([...running].map((c) => c.stop()));
    running.clear();
  });
  afterAll(async () => {
    await log.close();
  });

  async function produce(topic: string, keys: (string | null)[], firstSeq = 0): Promise<void> {
    const producer = await log.producer();
    try {
      await producer.send(
        topic,
        keys.map((key, i) => ({
          key,
          value: JSON.stringify({ key, seq: firstSeq + i }),
          headers: { n: String(i) },
        })),
      );
    } finally {
      await producer.close();
    }
  }

  async function consume(
    topic: string,
    groupId: string,
    handler: BatchHandler,
    extra: { startFrom?: StartFrom; maxBatchSize?: number } = {},
  ): Promise<LogConsumer> {
    const consumer = log.consumer({ groupId, topics: [topic], ...extra });
    running.add(consumer);
    await consumer.run(handler);
    return consumer;
  }

  async function stop(consumer: LogConsumer): Promise<void> {
    await consumer.stop();
    running.delete(consumer);
  }

  function collect(into: LogMessage[]): BatchHandler {
    return async (batch) => {
      // Every batch is one partition's consecutive messages.
      for (const m of batch.messages) expect(m.partition).toBe(batch.partition);
      into.push(...batch.messages);
    };
  }

  async function fullyCommitted(topic: string, groupId: string): Promise<boolean> {
    const [offsets, committed] = await Promise.all([log.offsets(topic), log.committed(groupId, topic)]);
    return offsets.every(({ partition, high }) => high === '0' || committed[partition] === high);
  }

  test('places keys like Kafka, keeps per-key order, numbers offsets densely and commits what was handled', async () => {
    const topic = uniqueTopic('contract-order');
    const keys = Array.from({ length: 12 }, (_, i) => `page-${i}`);
    // Five sends of interleaved keys: order must hold across sends, not only within one.
    for (let round = 0; round < 5; round++) {
      await produce(
        topic,
        Array.from({ length: 40 }, (_, i) => keys[(i * 7 + round) % keys.length]!),
        round * 40,
      );
    }
    await produce(
      topic,
      Array.from({ length: 8 }, () => null),
      200,
    );

    const got: LogMessage[] = [];
    const group = uniqueTopic('g');
    await consume(topic, group, collect(got), { maxBatchSize: 16 });
    await waitFor('208 messages', () => got.length >= 208);

    expect(got).toHaveLength(208);
    for (const m of got) {
      expect(m.topic).toBe(topic);
      expect(Number(m.timestamp)).toBeGreaterThan(Date.now() - 120_000);
      if (m.key !== null) expect(m.partition).toBe(partitionForKey(m.key, PARTITIONS));
    }
    // Keyless messages spread out instead of piling onto one partition.
    expect(new Set(got.filter((m) => m.key === null).map((m) => m.partition)).size).toBeGreaterThan(1);

    const lastSeqByKey = new Map<string, number>();
    for (const m of got.filter((x) => x.key !== null)) {
      const { key, seq } = value(m);
      expect(m.key!.toString()).toBe(key);
      expect(seq).toBeGreaterThan(lastSeqByKey.get(key) ?? -1);
      lastSeqByKey.set(key, seq);
    }

    const offsets = await log.offsets(topic);
    expect(offsets.map((o) => o.partition)).toEqual([0, 1, 2, 3]);
    for (const { partition, low, high } of offsets) {
      const inPartition = got.filter((m) => m.partition === partition).map((m) => m.offset);
      expect(low).toBe('0');
      expect(inPartition).toEqual(Array.from({ length: Number(high) }, (_, i) => String(i)));
    }
    expect(got.every((m) => m.headers.n !== undefined)).toBe(true);

    await waitFor('commits to reach the log end', () => fullyCommitted(topic, group));
  });

  test('a restarted group resumes after its last committed offset: nothing lost, nothing twice', async () => {
    const topic = uniqueTopic('contract-resume');
    const group = uniqueTopic('g');
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    await produce(
      topic,
      Array.from({ length: 60 }, (_, i) => keys[i % keys.length]!),
    );

    const first: LogMessage[] = [];
    const a = await consume(topic, group, collect(first), { maxBatchSize: 7 });
    await waitFor('60 messages', () => first.length >= 60);
    await waitFor('commits', () => fullyCommitted(topic, group));
    await stop(a);

    await produce(
      topic,
      Array.from({ length: 30 }, (_, i) => keys[i % keys.length]!),
      60,
    );
    const second: LogMessage[] = [];
    await consume(topic, group, collect(second));
    await waitFor('30 new messages', () => second.length >= 30);
    await new Promise((r) => setTimeout(r, 300)); // room for a wrong redelivery to show up

    expect(first.map((m) => value(m).seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 60 }, (_, i) => i),
    );
    expect(second.map((m) => value(m).seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 30 }, (_, i) => 60 + i),
    );
  });

  test('a rejected batch is redelivered with the same messages, and nothing is committed until it succeeds', async () => {
    const topic = uniqueTopic('contract-retry');
    const group = uniqueTopic('g');
    await produce(
      topic,
      Array.from({ length: 10 }, () => 'one-key'),
    );
    const partition = partitionForKey(Buffer.from('one-key'), PARTITIONS);

    const attempts: string[][] = [];
    const committedWhileFailing: Record<number, string>[] = [];
    const accepted: LogMessage[] = [];
    await consume(
      topic,
      group,
      async (batch) => {
        attempts.push(batch.messages.map((m) => m.offset));
        if (attempts.length <= 2) {
          committedWhileFailing.push(await log.committed(group, topic));
          throw new Error(`store unavailable (attempt ${attempts.length})`);
        }
        accepted.push(...batch.messages);
      },
      { maxBatchSize: 4 },
    );
    await waitFor('all 10 accepted', () => accepted.length >= 10);
    await waitFor('commits', () => fullyCommitted(topic, group));

    expect(attempts[0]![0]).toBe('0');
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(committedWhileFailing).toEqual([{}, {}]);
    expect(accepted.map((m) => m.offset)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(await log.committed(group, topic)).toEqual({ [partition]: '10' });
  });

  test('a member stopped while its handler keeps failing leaves the batch to the next member, unskipped', async () => {
    const topic = uniqueTopic('contract-handover');
    const group = uniqueTopic('g');
    await produce(
      topic,
      Array.from({ length: 7 }, () => 'k'),
    );
    const partition = partitionForKey(Buffer.from('k'), PARTITIONS);

    let calls = 0;
    const firstMember: string[] = [];
    const a = await consume(
      topic,
      group,
      async (batch) => {
        calls++;
        if (calls > 1) throw new Error('poison for this member');
        firstMember.push(...batch.messages.map((m) => m.offset));
      },
      { maxBatchSize: 3 },
    );
    await waitFor('two failed attempts', () => calls >= 3);
    await stop(a);
    expect(firstMember).toEqual(['0', '1', '2']);
    expect(await log.committed(group, topic)).toEqual({ [partition]: '3' });

    const secondMember: string[] = [];
    await consume(topic, group, async (batch) => {
      secondMember.push(...batch.messages.map((m) => m.offset));
    });
    await waitFor('the rest', () => secondMember.length >= 4);
    expect(secondMember).toEqual(['3', '4', '5', '6']);
  });

  test('startFrom: latest skips history, earliest reads it, explicit offsets replay past commits', async () => {
    const topic = uniqueTopic('contract-start');
    // Two keys on different partitions, so "missing partitions start at earliest" is visible.
    const keyA = 'alpha';
    const keyB = ['beta', 'gamma', 'delta', 'epsilon', 'zeta'].find(
      (k) => partitionForKey(Buffer.from(k), PARTITIONS) !== partitionForKey(Buffer.from(keyA), PARTITIONS),
    )!;
    const pA = partitionForKey(Buffer.from(keyA), PARTITIONS);
    const pB = partitionForKey(Buffer.from(keyB), PARTITIONS);
    await produce(topic, [keyA, keyA, keyA, keyA, keyA, keyB, keyB]);

    const latest: LogMessage[] = [];
    const earliest: LogMessage[] = [];
    const latestGroup = uniqueTopic('latest');
    const earliestGroup = uniqueTopic('earliest');
    await Promise.all([
      consume(topic, latestGroup, collect(latest), { startFrom: 'latest' }),
      consume(topic, earliestGroup, collect(earliest), { startFrom: 'earliest' }),
    ]);
    await produce(topic, [keyA, keyB], 100);
    await waitFor('earliest to read all 9', () => earliest.length >= 9);
    await waitFor('latest to read the 2 new', () => latest.length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(latest.map((m) => value(m).seq).sort()).toEqual([100, 101]);
    expect(earliest).toHaveLength(9);
    await waitFor('earliest group commits', () => fullyCommitted(topic, earliestGroup));
    await Promise.all([...running].map((c) => stop(c)));

    // The earliest group has committed everything; a replay ignores that.
    const replayed: LogMessage[] = [];
    await consume(topic, earliestGroup, collect(replayed), {
      startFrom: { offsets: { [topic]: { [pA]: '3' } } },
    });
    await waitFor('the replay', () => replayed.length >= 6);
    await new Promise((r) => setTimeout(r, 300));
    const offsetsOf = (p: number): string[] => replayed.filter((m) => m.partition === p).map((m) => m.offset);
    expect(offsetsOf(pA)).toEqual(['3', '4', '5']);
    expect(offsetsOf(pB)).toEqual(['0', '1', '2']);
    expect(replayed).toHaveLength(6);
  });

  test('two groups are independent: one failing does not hold back or commit for the other', async () => {
    const topic = uniqueTopic('contract-groups');
    const failing = uniqueTopic('failing');
    const healthy = uniqueTopic('healthy');
    await produce(
      topic,
      Array.from({ length: 10 }, (_, i) => `k${i}`),
    );
    let failures = 0;
    const got: LogMessage[] = [];
    await Promise.all([
      consume(topic, failing, async () => {
        failures++;
        throw new Error('always failing');
      }),
      consume(topic, healthy, collect(got)),
    ]);
    await waitFor('healthy group to read all', () => got.length >= 10);
    await waitFor('healthy group commits', () => fullyCommitted(topic, healthy));
    await waitFor('failing group to have tried', () => failures >= 2);
    expect(await log.committed(failing, topic)).toEqual({});
  });

  test('offsets() and committed() of a topic that does not exist are empty', async () => {
    const topic = uniqueTopic('contract-missing');
    expect(await log.offsets(topic)).toEqual([]);
    expect(await log.committed(uniqueTopic('g'), topic)).toEqual({});
  });
});

describe('adapter choice and partitioning', () => {
  test('createEventLog picks Kafka when brokers are configured, the embedded log otherwise', async () => {
    const kafka = createEventLog(testKafkaConfig(), testLogger());
    const embedded = createEventLog(loadConfig({}), testLogger());
    try {
      expect(kafka.kind).toBe('kafka');
      expect(kafka.description).toBe(`kafka ${process.env.SDP_TEST_KAFKA_BROKERS}`);
      expect(embedded.kind).toBe('embedded');
    } finally {
      await Promise.all([kafka.close(), embedded.close()]);
    }
  });

  test("murmur2 matches Kafka's own test vectors", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [input, expected] of cases)
      expect([input, murmur2(Buffer.from(input))]).toEqual([input, expected]);
  });
});

describe('kafka adapter', () => {
  jest.setTimeout(60_000);

  test('handles partitions at the same time (SDP_KAFKA_PARTITIONS_CONCURRENTLY), each still in order', async () => {
    const log = testKafkaLog();
    const topic = uniqueTopic('kafka-concurrent');
    const keys = Array.from({ length: 16 }, (_, i) => `page-${i}`);
    const producer = await log.producer();
    await producer.send(
      topic,
      Array.from({ length: 200 }, (_, i) => ({
        key: keys[i % keys.length]!,
        value: JSON.stringify({ key: keys[i % keys.length], seq: i }),
      })),
    );
    await producer.close();

    // The first batch waits until another partition's batch is being handled:
    // with one partition at a time that never happens and the wait times out.
    const got: LogMessage[] = [];
    const active = new Set<number>();
    let overlapped = false;
    let first = true;
    const consumer = log.consumer({ groupId: uniqueTopic('g'), topics: [topic], maxBatchSize: 10 });
    try {
      await consumer.run(async (batch) => {
        active.add(batch.partition);
        if (active.size > 1) overlapped = true;
        if (first) {
          first = false;
          await waitFor('another partition to be handled meanwhile', () => overlapped, 10_000);
        }
        got.push(...batch.messages);
        active.delete(batch.partition);
      });
      await waitFor('200 messages', () => got.length >= 200);
    } finally {
      await consumer.stop();
      await log.close();
    }
    expect(overlapped).toBe(true);
    const lastSeq = new Map<string, number>();
    for (const m of got) {
      const { key, seq } = value(m);
      expect(seq).toBeGreaterThan(lastSeq.get(key) ?? -1);
      lastSeq.set(key, seq);
    }
  });
});
