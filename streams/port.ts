/**
 * The event log port: the one interface every product's ingest and every producer
 * talks to. Two adapters implement it with the same semantics:
 *
 *  - `streams/kafka/`    Apache Kafka through kafkajs (production, docker/, tests
 *                        against a real Kafka-protocol cluster);
 *  - `streams/embedded/` an in-process log for `npm start` with no servers.
 *
 * Semantics both must keep (checked by one contract suite, test/streams/):
 *  - a topic has partitions; a message goes to the partition its key hashes to, so
 *    every message for one key is read in the order it was produced;
 *  - offsets are per partition, dense and increasing, as decimal strings (Kafka's
 *    int64 does not fit a JS number);
 *  - a consumer group reads each partition from its committed offset (or from the
 *    earliest / latest offset when it has none) and the offset is committed only
 *    after the batch handler resolved: a handler that throws, or a process that dies
 *    mid-batch, gets the same messages again (at-least-once);
 *  - a consumer can be started from an explicit offset to replay history.
 */

export type Headers = Record<string, string>;

/** A message to produce. `key` decides the partition; null spreads round-robin. */
export interface OutgoingMessage {
  key: string | Buffer | null;
  value: string | Buffer;
  headers?: Headers;
}

/** A message as read back from the log. */
export interface LogMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  /** Producer or broker timestamp, milliseconds since the epoch, as a string (Kafka's form). */
  timestamp: string;
}

/** Consecutive messages of one partition, handed to the handler together. */
export interface MessageBatch {
  topic: string;
  partition: number;
  messages: LogMessage[];
  /** Offset the next produced message will get in this partition (the log end). */
  highWatermark: string;
}

export interface LogProducer {
  /** Resolves when every message is durably in the log (acks=all on Kafka). */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

export type StartFrom =
  /** Committed offset, else the earliest retained one. */
  | 'earliest'
  /** Committed offset, else the log end (only new messages). */
  | 'latest'
  /** Ignore committed offsets: replay every partition from these offsets (missing partitions: earliest). */
  | { offsets: Record<string, Record<number, string>> };

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  startFrom?: StartFrom;
  /** Upper bound on messages per handler call (the adapters may deliver fewer); default DEFAULT_MAX_BATCH_SIZE. */
  maxBatchSize?: number;
}

/** Messages per handler call when the consumer does not say: one store write per few hundred events. */
export const DEFAULT_MAX_BATCH_SIZE = 500;

export type BatchHandler = (batch: MessageBatch) => Promise<void>;

export interface LogConsumer {
  /**
   * Starts consuming; resolves once the consumer has joined its group and is
   * fetching. The handler is called for one partition batch at a time per
   * partition; the batch's offsets are committed after it resolves. When it
   * rejects, the consumer backs off and redelivers the same batch.
   */
  run(handler: BatchHandler): Promise<void>;
  /** Stops fetching, waits for the batch in flight, leaves the group. */
  stop(): Promise<void>;
}

export interface PartitionOffsets {
  partition: number;
  /** Earliest retained offset. */
  low: string;
  /** Log end offset: the offset the next message will get. */
  high: string;
}

export interface EventLog {
  readonly kind: 'embedded' | 'kafka';
  /** Human-readable description for start-up logs, e.g. `kafka 127.0.0.1:9092`. */
  readonly description: string;
  producer(): Promise<LogProducer>;
  consumer(options: ConsumerOptions): LogConsumer;
  /** Partition offsets of a topic (empty when the topic does not exist yet). */
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** Committed offsets of a group for a topic, by partition (missing: never committed). */
  committed(groupId: string, topic: string): Promise<Record<number, string>>;
  close(): Promise<void>;
}
