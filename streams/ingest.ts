/**
 * Stream ingest: one consumer group reading one binding's topic into its product's store.
 *
 * Per batch: every message is parsed and validated (JSON schema, then the
 * binding's domain checks; the parse and the schema check are shared with the
 * other ingests of the process reading the same message, see
 * shared-admission.ts); the bad ones are parked in the
 * topic's dead-letter topic with their original bytes and the reason, the good ones
 * are applied in log order. The handler resolves only when both writes succeeded,
 * so the batch's offsets are committed only then. Anything failing before that
 * rejects the handler and the transport redelivers the whole batch (at-least-once:
 * the binding's apply is idempotent, and a message dead-lettered twice is harmless).
 */
import type { Logger } from 'pino';
import { deadLetterTopic } from '../config/env';
import type { StreamBinding, ValidEvent } from '../platform/product';
import type {
  EventLog,
  LogConsumer,
  LogMessage,
  LogProducer,
  MessageBatch,
  OutgoingMessage,
  StartFrom,
} from './port';
import { admitToBinding } from './check';
import type { EventSchemas } from './schemas';
import { SharedAdmission } from './shared-admission';

export interface IngestOptions<TStore, TEvent> {
  log: EventLog;
  schemas: EventSchemas;
  binding: StreamBinding<TStore, TEvent>;
  store: TStore;
  groupId: string;
  topic: string;
  logger: Logger;
  startFrom?: StartFrom;
  maxBatchSize?: number;
  /**
   * Parse and schema results shared with the process's other ingests of the
   * same messages (startPlatform passes one to all); default: this ingest's own.
   */
  sharedAdmission?: SharedAdmission;
}

export interface IngestStats {
  /** When the consumer had joined its group and was fetching, ms since the epoch. */
  startedAt: number;
  /** Valid events handed to the binding (counted again when a batch is redelivered). */
  applied: number;
  deadLettered: number;
  /** Batches fully handled (applied and dead-lettered, so committable). */
  batches: number;
  /** When the last batch with valid events was applied, ms since the epoch. */
  lastAppliedAt: number | null;
  /** `dt` of the newest valid event applied, for freshness: how far behind the source the store is. */
  lastEventDt: string | null;
  /** Next offset to read per partition, as far as this process handled. */
  positions: { partition: number; offset: string }[];
}

export interface IngestHandle {
  stop(): Promise<void>;
  stats(): IngestStats;
}

export const DLQ_HEADERS = {
  reason: 'sdp-dlq-reason',
  sourceTopic: 'sdp-dlq-source-topic',
  sourcePartition: 'sdp-dlq-source-partition',
  sourceOffset: 'sdp-dlq-source-offset',
  consumerGroup: 'sdp-dlq-consumer-group',
  at: 'sdp-dlq-at',
} as const;

type Checked<TEvent> = { valid: ValidEvent<TEvent> } | { invalid: LogMessage; reason: string };

function check<TStore, TEvent>(
  message: LogMessage,
  shared: SharedAdmission,
  binding: StreamBinding<TStore, TEvent>,
): Checked<TEvent> {
  const admitted = admitToBinding(shared.admit(message, binding.schemaTitle), binding);
  if ('reason' in admitted) return { invalid: message, reason: admitted.reason };
  return {
    valid: {
      event: admitted.event,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
    },
  };
}

function eventDt(event: unknown): string | null {
  const dt = (event as { dt?: unknown }).dt;
  return typeof dt === 'string' ? dt : null;
}

export async function startIngest<TStore, TEvent>(
  options: IngestOptions<TStore, TEvent>,
): Promise<IngestHandle> {
  const { log, schemas, binding, store, groupId, topic } = options;
  const logger = options.logger.child({ component: 'ingest', stream: binding.stream, topic, groupId });
  const dlqTopic = deadLetterTopic(topic);
  const stats: Omit<IngestStats, 'positions'> = {
    startedAt: 0,
    applied: 0,
    deadLettered: 0,
    batches: 0,
    lastAppliedAt: null,
    lastEventDt: null,
  };
  let lastEventMs = Number.NEGATIVE_INFINITY;
  const positions = new Map<number, string>();

  const shared = options.sharedAdmission ?? new SharedAdmission(schemas);

  const producer: LogProducer = await log.producer();
  const consumer: LogConsumer = log.consumer({
    groupId,
    topics: [topic],
    startFrom: options.startFrom,
    maxBatchSize: options.maxBatchSize,
  });

  const handle = async (batch: MessageBatch): Promise<void> => {
    const valid: ValidEvent<TEvent>[] = [];
    const dead: OutgoingMessage[] = [];
    const at = new Date().toISOString();
    for (const message of batch.messages) {
      const checked = check(message, shared, binding);
      if ('valid' in checked) {
        valid.push(checked.valid);
        continue;
      }
      logger.warn(
        { partition: message.partition, offset: message.offset, reason: checked.reason },
        'dead-lettering invalid event',
      );
      dead.push({
        key: message.key,
        // The original bytes, so the event can be fixed and replayed exactly as it was sent.
        value: message.value ?? Buffer.alloc(0),
        headers: {
          [DLQ_HEADERS.reason]: checked.reason,
          [DLQ_HEADERS.sourceTopic]: message.topic,
          [DLQ_HEADERS.sourcePartition]: String(message.partition),
          [DLQ_HEADERS.sourceOffset]: message.offset,
          [DLQ_HEADERS.consumerGroup]: groupId,
          [DLQ_HEADERS.at]: at,
        },
      });
    }

    // Dead letters first: once the valid ones are applied, a crash must not be able
    // to lose the invalid ones, and the redelivery that follows a failed DLQ write
    // re-applies valid events harmlessly (apply is idempotent).
    if (dead.length > 0) await producer.send(dlqTopic, dead);
    if (valid.length > 0) {
      try {
        await binding.apply(store, valid);
      } catch (err) {
        logger.error(
          {
            err,
            partition: batch.partition,
            firstOffset: batch.messages[0]?.offset,
            lastOffset: batch.messages[batch.messages.length - 1]?.offset,
            events: valid.length,
          },
          'apply failed; the batch will be redelivered',
        );
        throw err;
      }
    }

    stats.batches++;
    stats.deadLettered += dead.length;
    if (valid.length > 0) {
      stats.applied += valid.length;
      stats.lastAppliedAt = Date.now();
      for (const v of valid) {
        const dt = eventDt(v.event);
        const ms = dt === null ? NaN : Date.parse(dt);
        // Compared as instants: dt strings differ in fraction digits, so text order is not time order.
        if (ms > lastEventMs) {
          lastEventMs = ms;
          stats.lastEventDt = dt;
        }
      }
    }
    const last = batch.messages[batch.messages.length - 1];
    if (last) positions.set(batch.partition, (BigInt(last.offset) + 1n).toString());
  };

  const unregister = shared.register(topic, binding.schemaTitle);
  try {
    await consumer.run(handle);
  } catch (err) {
    unregister();
    await producer.close().catch(() => undefined);
    throw err;
  }
  stats.startedAt = Date.now();
  logger.info({ dlqTopic, log: log.description }, 'ingest started');

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        await consumer.stop();
        unregister();
        await producer.close();
        logger.info(stats, 'ingest stopped');
      })();
      return stopped;
    },
    stats() {
      return {
        ...stats,
        positions: [...positions]
          .sort(([a], [b]) => a - b)
          .map(([partition, offset]) => ({ partition, offset })),
      };
    },
  };
}
