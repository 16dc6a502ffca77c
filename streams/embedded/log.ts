/**
 * The in-process event log: the same contract as Kafka (test/streams/event-log.contract.test.ts)
 * without a server, for `npm start` on a laptop. Memory only: a restart starts empty,
 * which is fine because the demo feeder replays the example events.
 *
 * Deliberate limits, each with a clear error rather than a silent difference:
 *  - one active consumer per group and topic (there is no rebalance protocol to
 *    split partitions between members of one process);
 *  - no retention: the earliest offset of every partition is always "0".
 */
import type { Logger } from 'pino';
import {
  DEFAULT_MAX_BATCH_SIZE,
  type BatchHandler,
  type ConsumerOptions,
  type EventLog,
  type LogConsumer,
  type LogMessage,
  type LogProducer,
  type OutgoingMessage,
  type PartitionOffsets,
} from '../port';
import { deliverWithBackoff } from '../redelivery';

export interface EmbeddedEventLogOptions {
  /** Partitions of every auto-created topic (Kafka's `num.partitions`); default 4. */
  partitions?: number;
  logger?: Logger;
  /** Redelivery back-off after a handler rejection: starts here, doubles, capped at maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils#murmur2), 32-bit signed.
 * Using the same hash as Kafka's default partitioner keeps a key on the same
 * partition number in both adapters, so replays and tests agree across them.
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k =
      (data[i4]! & 0xff) |
      ((data[i4 + 1]! & 0xff) << 8) |
      ((data[i4 + 2]! & 0xff) << 16) |
      (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's default partition for a key: `toPositive(murmur2(key)) % partitions`. */
export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

interface Topic {
  partitions: LogMessage[][];
  /** Next partition for keyless messages. */
  roundRobin: number;
}

/** Resolves after `ms`, or early when `signal` aborts; never rejects. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

function toBuffer(value: string | Buffer): Buffer {
  // Copied so a caller reusing its buffer cannot rewrite history.
  return Buffer.from(value);
}

export class EmbeddedEventLog implements EventLog {
  readonly kind = 'embedded' as const;
  readonly description: string;
  private readonly partitionCount: number;
  private readonly topics = new Map<string, Topic>();
  /** group → topic → partition → committed offset (next to read). */
  private readonly groups = new Map<string, Map<string, Map<number, number>>>();
  /** "group\0topic" of the consumers running now. */
  private readonly activeMembers = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private readonly consumers = new Set<EmbeddedConsumer>();
  private closed = false;

  constructor(private readonly options: EmbeddedEventLogOptions = {}) {
    this.partitionCount = options.partitions ?? 4;
    if (!Number.isInteger(this.partitionCount) || this.partitionCount < 1) {
      throw new RangeError(`partitions must be a positive integer, got ${this.partitionCount}`);
    }
    this.description = `embedded (in-memory, ${this.partitionCount} partitions per topic)`;
  }

  async producer(): Promise<LogProducer> {
    return {
      send: async (topic, messages) => this.append(topic, messages),
      close: async () => undefined,
    };
  }

  consumer(options: ConsumerOptions): LogConsumer {
    return new EmbeddedConsumer(this, options, this.options);
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    const t = this.topics.get(topic);
    if (!t) return [];
    return t.partitions.map((messages, partition) => ({
      partition,
      low: '0',
      high: String(messages.length),
    }));
  }

  async committed(groupId: string, topic: string): Promise<Record<number, string>> {
    const byPartition = this.groups.get(groupId)?.get(topic);
    const out: Record<number, string> = {};
    for (const [partition, offset] of byPartition ?? []) out[partition] = String(offset);
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }

  // --- used by EmbeddedConsumer -------------------------------------------------

  /** @internal */
  partitionsOf(topic: string): LogMessage[][] | undefined {
    return this.topics.get(topic)?.partitions;
  }

  /** @internal */
  commit(groupId: string, topic: string, partition: number, next: number): void {
    let byTopic = this.groups.get(groupId);
    if (!byTopic) this.groups.set(groupId, (byTopic = new Map()));
    let byPartition = byTopic.get(topic);
    if (!byPartition) byTopic.set(topic, (byPartition = new Map()));
    byPartition.set(partition, next);
  }

  /** @internal */
  committedOffset(groupId: string, topic: string, partition: number): number | undefined {
    return this.groups.get(groupId)?.get(topic)?.get(partition);
  }

  /** @internal Counts produce calls, so a consumer can tell whether it missed one. */
  produceCount = 0;

  /** @internal Resolves once a produce happened after `since` (a produceCount) or `signal` aborts. */
  produceAfter(since: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.produceCount !== since || signal.aborted) return resolve();
      const wake = (): void => {
        this.waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', wake);
    });
  }

  /** @internal */
  join(consumer: EmbeddedConsumer, groupId: string, topics: string[]): void {
    if (this.closed) throw new Error('embedded event log is closed');
    const keys = topics.map((t) => `${groupId}\0${t}`);
    const taken = topics.filter((_, i) => this.activeMembers.has(keys[i]!));
    if (taken.length > 0) {
      throw new Error(
        `embedded event log: group ${groupId} already has a running consumer for ${taken.join(', ')}; ` +
          'the embedded log does not split partitions between members (use Kafka for that)',
      );
    }
    for (const k of keys) this.activeMembers.add(k);
    this.consumers.add(consumer);
  }

  /** @internal */
  leave(consumer: EmbeddedConsumer, groupId: string, topics: string[]): void {
    for (const t of topics) this.activeMembers.delete(`${groupId}\0${t}`);
    this.consumers.delete(consumer);
  }

  private append(topicName: string, messages: OutgoingMessage[]): void {
    if (this.closed) throw new Error('embedded event log is closed');
    if (!topicName) throw new Error('topic name must not be empty');
    let topic = this.topics.get(topicName);
    if (!topic) {
      topic = { partitions: Array.from({ length: this.partitionCount }, () => []), roundRobin: 0 };
      this.topics.set(topicName, topic);
    }
    const timestamp = String(Date.now());
    for (const m of messages) {
      const key = m.key === null ? null : toBuffer(m.key);
      const partition =
        key === null ? topic.roundRobin++ % this.partitionCount : partitionForKey(key, this.partitionCount);
      const log = topic.partitions[partition]!;
      log.push({
        topic: topicName,
        partition,
        offset: String(log.length),
        key,
        value: toBuffer(m.value),
        headers: { ...m.headers },
        timestamp,
      });
    }
    this.produceCount++;
    // Each wake removes itself from the set.
    for (const wake of [...this.waiters]) wake();
  }
}

class EmbeddedConsumer implements LogConsumer {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  /** Next offset to deliver, per topic and partition, once the partition was first seen. */
  private readonly positions = new Map<string, number[]>();
  /** Log end at run() time, for `startFrom: 'latest'` partitions with no committed offset. */
  private readonly endsAtStart = new Map<string, number[]>();
  private readonly logger: Logger | undefined;

  constructor(
    private readonly log: EmbeddedEventLog,
    private readonly options: ConsumerOptions,
    private readonly tuning: EmbeddedEventLogOptions,
  ) {
    this.logger = tuning.logger?.child({ component: 'embedded-log', groupId: options.groupId });
    if (options.topics.length === 0) throw new Error('a consumer needs at least one topic');
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.loop) throw new Error('consumer is already running');
    const { groupId, topics } = this.options;
    this.log.join(this, groupId, topics);
    for (const topic of topics) {
      this.endsAtStart.set(
        topic,
        (this.log.partitionsOf(topic) ?? []).map((p) => p.length),
      );
    }
    this.loop = this.consume(handler)
      .catch((err: unknown) => this.logger?.error({ err }, 'embedded consumer stopped by an internal error'))
      .finally(() => this.log.leave(this, groupId, topics));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private startOffset(topic: string, partition: number): number {
    const { startFrom = 'earliest', groupId } = this.options;
    if (typeof startFrom === 'object') {
      const explicit = startFrom.offsets[topic]?.[partition];
      return explicit === undefined ? 0 : Number(explicit);
    }
    const committed = this.log.committedOffset(groupId, topic, partition);
    if (committed !== undefined) return committed;
    // Partitions created after run() hold only messages newer than the start.
    return startFrom === 'latest' ? (this.endsAtStart.get(topic)?.[partition] ?? 0) : 0;
  }

  private async consume(handler: BatchHandler): Promise<void> {
    const signal = this.abort.signal;
    const maxBatch = Math.max(1, this.options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
    while (!signal.aborted) {
      // Read before scanning, so a produce during a handler call is not slept through.
      const seen = this.log.produceCount;
      let delivered = false;
      for (const topic of this.options.topics) {
        const partitions = this.log.partitionsOf(topic);
        if (!partitions) continue;
        let positions = this.positions.get(topic);
        if (!positions) this.positions.set(topic, (positions = []));
        for (let partition = 0; partition < partitions.length && !signal.aborted; partition++) {
          positions[partition] ??= this.startOffset(topic, partition);
          const log = partitions[partition]!;
          const from = positions[partition]!;
          if (from >= log.length) continue;
          const messages = log.slice(from, from + maxBatch);
          const ok = await this.deliver(handler, {
            topic,
            partition,
            messages,
            highWatermark: String(log.length),
          });
          if (!ok) return;
          positions[partition] = from + messages.length;
          this.log.commit(this.options.groupId, topic, partition, from + messages.length);
          delivered = true;
        }
      }
      if (!delivered) await this.log.produceAfter(seen, signal);
    }
  }

  /** Calls the handler until it resolves (true) or the consumer stops first (false). */
  private deliver(handler: BatchHandler, batch: Parameters<BatchHandler>[0]): Promise<boolean> {
    const signal = this.abort.signal;
    return deliverWithBackoff(handler, batch, {
      logger: this.logger,
      initialBackoffMs: this.tuning.initialBackoffMs,
      maxBackoffMs: this.tuning.maxBackoffMs,
      wait: async (ms) => {
        if (signal.aborted) return false;
        await pause(ms, signal);
        return !signal.aborted;
      },
    });
  }
}
