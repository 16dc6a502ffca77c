/**
 * Rebuilding a product from the event log (`sdp rebuild <product> --from earliest`):
 * a stop-the-world recompute, lambda-style. Any product whose store can
 * `reset()` can be rebuilt; nothing here names a product.
 *
 *  1. For every stream the product consumes, take the log end (high
 *     watermark) of each partition: the rebuild's target.
 *  2. Reset the store: everything derived from the streams is gone.
 *  3. Consume every stream from the earliest retained offset, through the
 *     ordinary ingest (schema validation, the binding's domain checks, the
 *     dead-letter topic, the binding's apply), under the product's own
 *     consumer group, with explicit start offsets that ignore what the group
 *     had committed.
 *  4. Once every partition has been applied up to its target, stop. The
 *     ingest committed the group's offsets batch by batch as usual, so they
 *     now point just after what the store holds and normal ingest resumes
 *     from there, neither skipping nor (beyond its usual at-least-once)
 *     repeating anything.
 *
 * Consuming under the real group (rather than a fresh one whose offsets would
 * then have to be copied over) is what makes step 4 need no extra step, and
 * makes an interrupted rebuild safe: the store then holds exactly the prefix
 * of the log the group's offsets point past, so starting the platform finishes
 * the job, and running the rebuild again starts it over.
 *
 * Stop the product's ingest (the platform) first: another member of the group
 * would be handed some of the partitions, keep writing into the store being
 * reset, and the rebuild would wait for partitions it is never given. With the
 * embedded log the second consumer is refused outright; on Kafka the rebuild
 * logs which partitions make no progress.
 *
 * Events past the target that arrive meanwhile are applied and committed like
 * any others. Invalid events are dead-lettered again (the copies carry the
 * same source offset headers).
 */
import type { Logger } from 'pino';
import { topicFor, type SdpConfig } from '../config/env';
import { startIngest, type IngestHandle } from '../streams/ingest';
import type { EventLog } from '../streams/port';
import { loadEventSchemas, type EventSchemas } from '../streams/schemas';
import type { DataProduct, ProductStore } from './product';
import { consumerGroup } from './start';

export class RebuildError extends Error {
  override name = 'RebuildError';
}

export interface RebuildOptions<TStore extends ProductStore, TContext extends object> {
  product: DataProduct<TStore, TContext>;
  /** The product's store, opened by the caller (who also closes it). */
  store: TStore;
  log: EventLog;
  config: SdpConfig;
  logger: Logger;
  schemas?: EventSchemas;
  /** How often progress is checked; default 100 ms. */
  pollIntervalMs?: number;
  /** A partition without progress for this long gets a warning (is another consumer in the group?); default 30 s. */
  stallWarningMs?: number;
  /** Events per store write during the replay; default REBUILD_MAX_BATCH_SIZE. */
  maxBatchSize?: number;
}

/**
 * Events per store write while replaying, ten times the live ingest's: a
 * replay reads a long backlog, and a product that recomputes what a batch
 * touches (editstats recomputes each touched bucket of a wiki-day from all its
 * edits) then recomputes each roll-up once per 5,000 events of a partition
 * instead of once per 500. Measured in bench R1 (200,000 page_change events,
 * Cassandra): see bench/README.md. Partitions are still replayed in parallel,
 * as the log's consumer handles them (SDP_KAFKA_PARTITIONS_CONCURRENTLY).
 */
export const REBUILD_MAX_BATCH_SIZE = 5000;

export interface StreamRebuild {
  stream: string;
  topic: string;
  groupId: string;
  /** Log end per partition when the rebuild started: every event before it was applied (or dead-lettered). */
  target: Record<number, string>;
  /** The group's committed offsets when the rebuild finished (at or past the target). */
  committed: Record<number, string>;
  applied: number;
  deadLettered: number;
}

export interface RebuildResult {
  product: string;
  streams: StreamRebuild[];
  durationMs: number;
}

interface Running {
  stream: string;
  topic: string;
  groupId: string;
  target: Map<number, bigint>;
  ingest: IngestHandle;
}

/** Partitions of `r` whose applied position has not reached the target yet. */
function behind(r: Running): number[] {
  const positions = new Map(r.ingest.stats().positions.map((p) => [p.partition, BigInt(p.offset)]));
  return [...r.target]
    .filter(([partition, target]) => (positions.get(partition) ?? -1n) < target)
    .map(([partition]) => partition);
}

/** Offsets by partition as Kafka writes them (decimal strings): for logs and results. */
function offsetsText(offsets: Iterable<[number, bigint]>): Record<number, string> {
  return Object.fromEntries([...offsets].map(([partition, offset]) => [partition, String(offset)]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function rebuildProduct<TStore extends ProductStore, TContext extends object>(
  options: RebuildOptions<TStore, TContext>,
): Promise<RebuildResult> {
  const { product, store, log, config } = options;
  const logger = options.logger.child({ component: 'rebuild', product: product.name });
  const pollMs = options.pollIntervalMs ?? 100;
  const stallMs = options.stallWarningMs ?? 30_000;
  if (!store.reset) {
    throw new RebuildError(
      `${product.name} cannot be rebuilt: its store (${store.description}) cannot be reset (no reset())`,
    );
  }
  const started = Date.now();
  const schemas = options.schemas ?? loadEventSchemas();

  // 1. Targets, before anything is touched.
  const plans: Omit<Running, 'ingest'>[] = [];
  for (const binding of product.streams) {
    const topic = topicFor(config, binding.stream);
    const target = new Map<number, bigint>();
    for (const p of await log.offsets(topic)) {
      // An empty partition (or one whose events all expired) has nothing to replay.
      if (BigInt(p.high) > BigInt(p.low)) target.set(p.partition, BigInt(p.high));
    }
    plans.push({
      stream: binding.stream,
      topic,
      groupId: consumerGroup(config, product.name, binding.stream),
      target,
    });
  }
  logger.info(
    {
      streams: plans.map((p) => ({
        topic: p.topic,
        groupId: p.groupId,
        target: offsetsText(p.target),
      })),
    },
    'rebuild: targets taken; resetting the store',
  );

  // 2. Reset.
  await store.reset();

  // 3. Replay.
  const running: Running[] = [];
  try {
    for (const [i, plan] of plans.entries()) {
      const ingest = await startIngest({
        log,
        schemas,
        binding: product.streams[i]!,
        store,
        groupId: plan.groupId,
        topic: plan.topic,
        logger: logger.child({ stream: plan.stream }),
        // Every partition from its earliest retained offset, whatever the group had committed.
        startFrom: { offsets: {} },
        maxBatchSize: options.maxBatchSize ?? REBUILD_MAX_BATCH_SIZE,
      }).catch((err: unknown) => {
        throw new RebuildError(`${product.name}: cannot consume ${plan.topic} from ${log.description}`, {
          cause: err,
        });
      });
      running.push({ ...plan, ingest });
    }

    // 4. Until every partition reached its target.
    let lastProgress = Date.now();
    let lastHandled = -1;
    for (;;) {
      const lagging = running.map((r) => ({ topic: r.topic, partitions: behind(r) }));
      if (lagging.every((l) => l.partitions.length === 0)) break;
      const handled = running.reduce(
        (n, r) => n + r.ingest.stats().applied + r.ingest.stats().deadLettered,
        0,
      );
      if (handled !== lastHandled) {
        lastHandled = handled;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > stallMs) {
        logger.warn(
          { lagging: lagging.filter((l) => l.partitions.length > 0), seconds: Math.round(stallMs / 1000) },
          'rebuild: no progress; is the product still running somewhere (another member of its consumer group)?',
        );
        lastProgress = Date.now();
      }
      await sleep(pollMs);
    }
  } finally {
    // Stopping waits for the batch in flight, including its offset commit.
    for (const r of running) await r.ingest.stop();
  }

  const streams: StreamRebuild[] = [];
  for (const r of running) {
    const committed = await log.committed(r.groupId, r.topic);
    const short = [...r.target].filter(
      ([p, target]) => committed[p] === undefined || BigInt(committed[p]) < target,
    );
    if (short.length > 0) {
      throw new RebuildError(
        `${product.name}: the store is rebuilt up to the target, but group ${r.groupId} committed ` +
          `${JSON.stringify(committed)} on ${r.topic}, short of ${JSON.stringify(offsetsText(short))}; ` +
          'the next start re-applies the difference, which the product applies idempotently',
      );
    }
    const stats = r.ingest.stats();
    streams.push({
      stream: r.stream,
      topic: r.topic,
      groupId: r.groupId,
      target: offsetsText(r.target),
      committed,
      applied: stats.applied,
      deadLettered: stats.deadLettered,
    });
  }
  const result = { product: product.name, streams, durationMs: Date.now() - started };
  logger.info(result, 'rebuild done');
  return result;
}
