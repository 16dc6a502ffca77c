/**
 * The event log on Apache Kafka, through kafkajs.
 *
 * Delivery is at-least-once and per-partition ordered:
 *  - producers write with acks=all, one request in flight per broker (so a retried
 *    request cannot overtake the next one), and idempotently when the cluster
 *    supports it (no duplicates from producer retries);
 *  - a fetched batch reaches the handler in chunks of `maxBatchSize`; consumers
 *    commit `offset + 1` of the last handled message once the batch's last chunk
 *    resolved (or when stopping mid-batch), never past an unhandled one (autoCommit
 *    off, auto-resolve off). A rejected handler is retried on the same in-memory
 *    chunk with back-off, heartbeating meanwhile so a long store outage does not get
 *    the member evicted. If the member stops or the group rebalances while a chunk is
 *    unhandled, nothing past it was committed or resolved, so the next owner of the
 *    partition fetches again from there;
 *  - up to `partitionsConcurrently` partitions are handled at the same time, each in
 *    offset order.
 */
import { promisify } from 'node:util';
import { gzip, unzip } from 'node:zlib';
import {
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import { retryWithin, ServerUnreachableError } from '../../config/unreachable';
import {
  DEFAULT_MAX_BATCH_SIZE,
  type BatchHandler,
  type ConsumerOptions,
  type EventLog,
  type Headers,
  type LogConsumer,
  type LogMessage,
  type LogProducer,
  type MessageBatch,
  type OutgoingMessage,
  type PartitionOffsets,
  type StartFrom,
} from '../port';
import { deliverWithBackoff } from '../redelivery';
import { KAFKAJS_LOG_LEVEL, pinoLogCreator } from './pino-log-creator';

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Redelivery back-off after a handler rejection: starts here, doubles, capped at maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Consumer session timeout; a member silent for this long loses its partitions. Default 30 s. */
  sessionTimeoutMs?: number;
  /** Default 3 s; keep it under a third of the session timeout. */
  heartbeatIntervalMs?: number;
  /**
   * Partitions a consumer handles at once (default 4). Each partition's
   * batches still go to the handler one after another, in offset order; with
   * several, one partition's events are validated while another's are written.
   */
  partitionsConcurrently?: number;
  /**
   * How long the first contact with the cluster may take (attempts included)
   * before the log gives up with a ServerUnreachableError; default 5 s
   * (SDP_CONNECT_RETRY_SECONDS). Once a broker has answered, RETRY applies.
   */
  connectRetryMs?: number;
}

/** Fetch tuning measured against librdkafka's mock cluster: the defaults were ~14× slower. */
const MAX_BYTES_PER_PARTITION = 10 * 1024 * 1024;
const MAX_WAIT_TIME_MS = 100;

/**
 * Client-level retry for every request. About a minute of attempts in total, so a
 * broker restart or leader election is ridden out rather than surfaced; a consumer
 * that still fails is restarted by kafkajs (restartOnFailure) and rejoins.
 */
const RETRY = { initialRetryTime: 300, maxRetryTime: 10_000, factor: 0.2, multiplier: 2, retries: 10 };

/**
 * The first contact gets its own budget instead: a minute of RETRY against a
 * cluster that is not there (a wrong SDP_KAFKA_BROKERS, Kafka not started) is a
 * minute of error lines before the one that matters. Measured against a closed
 * local port: RETRY gives up after 68 s; the probe after its budget.
 */
export const DEFAULT_CONNECT_RETRY_MS = 5_000;
/** Per attempt; kafkajs' default is 1 s, too short for a broker across a slow link. */
const PROBE_CONNECTION_TIMEOUT_MS = 3_000;

/** Output buffer bounds for gzip decompression: at least zlib's 16 KiB default, at most this. */
const MIN_GUNZIP_CHUNK = 16 * 1024;
const MAX_GUNZIP_CHUNK = 64 * 1024 * 1024;

/**
 * Output buffer size for one gzip-compressed record batch: the uncompressed
 * size its gzip trailer states (ISIZE, the last four bytes, modulo 2^32), so
 * the batch inflates in one piece. Bounded: the trailer is the producer's
 * word (never more than the input can inflate to is allocated), and a batch
 * of several gzip members, or a wrong ISIZE, still inflates correctly in more
 * pieces.
 */
export function gunzipChunkSize(compressed: Buffer): number {
  if (compressed.length < 18) return MIN_GUNZIP_CHUNK;
  const stated = compressed.readUInt32LE(compressed.length - 4);
  // Deflate expands at most 1032:1, so a claim beyond that is not allocated.
  const possible = compressed.length * 1032;
  return Math.min(MAX_GUNZIP_CHUNK, possible, Math.max(MIN_GUNZIP_CHUNK, stated));
}

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip) as (buffer: Buffer, options: { chunkSize: number }) => Promise<Buffer>;

/**
 * kafkajs' own GZIP codec, but inflating each record batch into one output
 * buffer of its stated size instead of zlib's default 16 KiB chunks: each chunk
 * is a round trip between the thread pool and the event loop, plus a copy when
 * they are joined. Measured on 250 generated page_change events (494 kB, 51 kB
 * gzipped): 2.1–5.2 CPU ms per batch with the default, 0.6 ms so, i.e. 8–20 µs
 * per event per consumer, and every page_change consumer of the platform
 * inflates every batch (W4R profile: zlib ≈ 20 % of the ingest's busy time).
 * Registered through kafkajs' codec table, the documented way to supply a codec.
 */
CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer),
  decompress: (buffer: Buffer) => unzipAsync(buffer, { chunkSize: gunzipChunkSize(buffer) }),
});

function decodeHeaders(headers: IHeaders | undefined): Headers {
  const out: Headers = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) continue;
    // A repeated header arrives as an array; the last one wins, as in Kafka's lastHeader().
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}

function toLogMessage(topic: string, partition: number, m: KafkaMessage): LogMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    headers: decodeHeaders(m.headers),
    timestamp: m.timestamp,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class KafkaEventLog implements EventLog {
  readonly kind = 'kafka' as const;
  readonly description: string;
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private admin: Promise<Admin> | undefined;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<KafkaLogConsumer>();
  private reachable: Promise<void> | undefined;

  constructor(private readonly options: KafkaEventLogOptions) {
    if (options.brokers.length === 0) throw new Error('kafka event log needs at least one broker');
    this.description = `kafka ${options.brokers.join(',')}`;
    this.logger = options.logger.child({ component: 'kafka-log' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      retry: RETRY,
      logLevel: KAFKAJS_LOG_LEVEL,
      logCreator: pinoLogCreator(this.logger.child({ component: 'kafkajs' })),
    });
  }

  async producer(): Promise<LogProducer> {
    await this.reach();
    const idempotent = await this.supportsIdempotence();
    const producer = this.kafka.producer({
      idempotent,
      maxInFlightRequests: 1,
      // Java-compatible murmur2, the same placement as every other Kafka client (and the embedded log).
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
      retry: RETRY,
    });
    await producer.connect();
    this.producers.add(producer);
    this.logger.debug({ idempotent }, 'producer connected');
    return {
      send: async (topic: string, messages: OutgoingMessage[]) => {
        if (messages.length === 0) return;
        await producer.send({
          topic,
          acks: -1,
          messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        });
      },
      close: async () => {
        this.producers.delete(producer);
        await producer.disconnect();
      },
    };
  }

  consumer(options: ConsumerOptions): LogConsumer {
    if (options.topics.length === 0) throw new Error('a consumer needs at least one topic');
    const consumer = new KafkaLogConsumer(this.kafka, this, options, this.options, this.logger);
    this.consumers.add(consumer);
    return consumer;
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    const admin = await this.getAdmin();
    // Asking for a missing topic's offsets would auto-create it; listing does not.
    if (!(await admin.listTopics()).includes(topic)) return [];
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets
      .map(({ partition, low, high }) => ({ partition, low, high }))
      .sort((a, b) => a.partition - b.partition);
  }

  async committed(groupId: string, topic: string): Promise<Record<number, string>> {
    const admin = await this.getAdmin();
    if (!(await admin.listTopics()).includes(topic)) return {};
    const [byTopic] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const out: Record<number, string> = {};
    for (const { partition, offset } of byTopic?.partitions ?? []) {
      // -1: the group never committed on this partition.
      if (!offset.startsWith('-')) out[partition] = offset;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await Promise.all([...this.producers].map((p) => p.disconnect()));
    this.producers.clear();
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  /** @internal */
  forget(consumer: KafkaLogConsumer): void {
    this.consumers.delete(consumer);
  }

  /**
   * @internal Resolves once a seed broker has answered a metadata request;
   * until then, tries again within `connectRetryMs`, quietly, then rejects with
   * one ServerUnreachableError. Every first use of the cluster (producer,
   * admin, consumer) waits for it.
   */
  reach(): Promise<void> {
    this.reachable ??= this.probe().catch((err: unknown) => {
      this.reachable = undefined;
      throw err;
    });
    return this.reachable;
  }

  private async probe(): Promise<void> {
    const { brokers, clientId } = this.options;
    const budgetMs = this.options.connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS;
    try {
      await retryWithin(budgetMs, async (remainingMs) => {
        // A client of its own: no retries (retryWithin paces the attempts) and no log lines.
        const admin = new Kafka({
          clientId,
          brokers,
          connectionTimeout: Math.max(500, Math.min(PROBE_CONNECTION_TIMEOUT_MS, remainingMs)),
          retry: { retries: 0 },
          logLevel: logLevel.NOTHING,
        }).admin();
        try {
          await admin.connect();
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      });
    } catch (err) {
      throw new ServerUnreachableError(
        'Kafka',
        brokers.join(','),
        'SDP_KAFKA_BROKERS',
        Math.round(budgetMs / 1000),
        (err as Error).message,
        { cause: err },
      );
    }
  }

  /** @internal */
  getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin({ retry: RETRY });
      this.admin = this.reach()
        .then(() => admin.connect())
        .then(
          () => admin,
          (err: unknown) => {
            this.admin = undefined;
            throw err;
          },
        );
    }
    return this.admin;
  }

  /**
   * kafkajs initialises an idempotent producer through the controller broker. A cluster
   * whose metadata names no live controller (librdkafka's mock cluster reports id 0,
   * which is not a broker) would fail every connect, so fall back to plain acks=all
   * there; duplicates from producer retries are then possible, which the consumers'
   * idempotent apply already tolerates.
   */
  private async supportsIdempotence(): Promise<boolean> {
    const { brokers, controller } = await (await this.getAdmin()).describeCluster();
    const ok = controller !== null && brokers.some((b) => b.nodeId === controller);
    // Debug, not warn: nothing to act on (librdkafka's mock cluster always says so),
    // and the consumers' idempotent apply absorbs the duplicates it allows.
    if (!ok)
      this.logger.debug(
        { controller },
        'cluster reports no usable controller: producing without idempotence',
      );
    return ok;
  }
}

class KafkaLogConsumer implements LogConsumer {
  private consumer: Consumer | undefined;
  private stopping: Promise<void> | undefined;
  /** Rejects a run() still waiting to join, so it cannot hang past a crash or stop(). */
  private abandonJoin: ((err: Error) => void) | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly kafka: Kafka,
    private readonly log: KafkaEventLog,
    private readonly options: ConsumerOptions,
    private readonly tuning: KafkaEventLogOptions,
    logger: Logger,
  ) {
    this.logger = logger.child({ groupId: options.groupId });
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.consumer) throw new Error('consumer is already running');
    await this.log.reach();
    const { groupId, topics, startFrom = 'earliest' } = this.options;
    const consumer = this.kafka.consumer({
      groupId,
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
      maxWaitTimeInMs: MAX_WAIT_TIME_MS,
      sessionTimeout: this.tuning.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.tuning.heartbeatIntervalMs ?? 3_000,
      allowAutoTopicCreation: true,
      retry: { ...RETRY, restartOnFailure: async () => true },
    });
    this.consumer = consumer;
    const seeks = typeof startFrom === 'object' ? await this.replayOffsets(startFrom) : [];

    let joined!: () => void;
    let failed!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    // Handled below; this keeps a crash during connect from counting as unhandled meanwhile.
    ready.catch(() => undefined);
    this.abandonJoin = failed;
    let seeked = false;
    let hasJoined = false;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      // Seeks are queued now, between the join and the first fetch, and only once:
      // a later rejoin must resume from what the replay has committed, not restart it.
      if (!seeked) {
        seeked = true;
        for (const s of seeks) consumer.seek(s);
      }
      hasJoined = true;
      if (Object.values(payload.memberAssignment).every((partitions) => partitions.length === 0)) joined();
    });
    // The first fetch after the join has fixed every partition's position (committed,
    // seek or earliest/latest), so a message produced after run() resolves is
    // delivered even with startFrom 'latest'.
    consumer.on(consumer.events.FETCH, () => {
      if (hasJoined) joined();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.logger.error({ err: payload.error }, 'kafka consumer crashed and will not restart');
      failed(payload.error);
    });

    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: startFrom !== 'latest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.tuning.partitionsConcurrently ?? 4,
      eachBatch: (payload) => this.eachBatch(payload, handler),
    });
    await ready;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const consumer = this.consumer;
      this.log.forget(this);
      this.abandonJoin?.(new Error(`consumer of group ${this.options.groupId} stopped before it joined`));
      if (!consumer) return;
      // stop() waits for the batch in flight and leaves the group, so its partitions move on at once.
      await consumer.stop();
      await consumer.disconnect();
    })();
    return this.stopping;
  }

  /** Explicit replay offsets, with every other existing partition at its earliest offset. */
  private async replayOffsets(
    startFrom: Extract<StartFrom, object>,
  ): Promise<{ topic: string; partition: number; offset: string }[]> {
    const seeks: { topic: string; partition: number; offset: string }[] = [];
    for (const topic of this.options.topics) {
      const explicit = startFrom.offsets[topic] ?? {};
      for (const { partition, low } of await this.log.offsets(topic)) {
        seeks.push({ topic, partition, offset: explicit[partition] ?? low });
      }
    }
    return seeks;
  }

  private async eachBatch(payload: EachBatchPayload, handler: BatchHandler): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const maxBatch = Math.max(1, this.options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
    // The last offset handled and not yet committed.
    let handled: string | undefined;
    const commit = async (offset: string) => {
      await commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(offset) + 1n).toString() }] }],
      });
      await heartbeat();
    };
    for (let i = 0; i < batch.messages.length; i += maxBatch) {
      if (!isRunning() || isStale()) {
        // Stopping (or rebalanced): what was handled is committed, the rest is left for the next owner.
        if (handled !== undefined && !isStale()) await commit(handled).catch(() => undefined);
        return;
      }
      const slice = batch.messages.slice(i, i + maxBatch);
      const messages = slice.map((m) => toLogMessage(topic, partition, m));
      const delivered = await this.deliver(
        handler,
        { topic, partition, messages, highWatermark: batch.highWatermark },
        payload,
      );
      // Unhandled: leave it unresolved and uncommitted; whoever fetches next starts there
      // (after what was handled before it, committed now if the group still owns the batch).
      if (!delivered) {
        if (handled !== undefined && !isStale()) await commit(handled).catch(() => undefined);
        return;
      }
      const last = messages[messages.length - 1]!.offset;
      resolveOffset(last);
      handled = last;
      // One commit per fetched batch, not per chunk: each is a round trip to the
      // group coordinator, and a crash in between only redelivers handled chunks
      // of this batch, which the binding applies idempotently.
      if (i + maxBatch >= batch.messages.length) await commit(handled);
      else await heartbeat();
    }
  }

  /** Calls the handler until it resolves (true) or the consumer stops / the batch goes stale (false). */
  private deliver(handler: BatchHandler, batch: MessageBatch, payload: EachBatchPayload): Promise<boolean> {
    const gone = (): boolean => !payload.isRunning() || payload.isStale();
    return deliverWithBackoff(handler, batch, {
      logger: this.logger,
      initialBackoffMs: this.tuning.initialBackoffMs,
      maxBackoffMs: this.tuning.maxBackoffMs,
      // Sleeps in short steps so stop() is not held up by a long back-off, and
      // heartbeats so the member keeps its partitions through a long outage. A
      // heartbeat that reports a rebalance throws: kafkajs rejoins and refetches.
      wait: async (ms) => {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          if (gone()) return false;
          await sleep(Math.min(100, until - Date.now()));
          await payload.heartbeat();
        }
        return !gone();
      },
    });
  }
}
