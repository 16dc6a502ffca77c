/**
 * R1: `sdp rebuild editstats` (platform/rebuild.ts `rebuildProduct`, what the
 * command runs) over `events` page_change events in the Kafka test cluster,
 * into Cassandra: events/s replaying in store writes of 500 events per
 * partition (the live ingest's batch, what the rebuild used before) and of
 * REBUILD_MAX_BATCH_SIZE (now), one after the other on the same log and keyspace
 * (each rebuild resets the store first). Both must leave the same daily
 * counts; a difference fails the workload.
 *
 * The mock cluster keeps only about 5 MiB per partition and silently drops
 * older messages, so the events are produced gzip-compressed and the log
 * start of every partition is checked to be 0 before anything is measured.
 * The events are the demo generator's (fixed seed), one continuous history.
 */
import { randomBytes } from 'node:crypto';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { loadConfig, topicFor } from '../../config/env';
import { DEMO_SEED } from '../../demo/feeder';
import { PageChangeGenerator } from '../../demo/page-change-generator';
import { dropKeyspace, keyspaceFor } from '../../platform/cassandra';
import { REBUILD_MAX_BATCH_SIZE, rebuildProduct } from '../../platform/rebuild';
import { createEventLog } from '../../streams';
import { toMessage } from '../../streams/check';
import { PAGE_CHANGE_STREAM } from '../../streams/contracts/page-change';
import editstats from '../../subgraphs/editstats/product';
import { openCassandraEditStatsStore } from '../../subgraphs/editstats/store/cassandra';
import { EDITSTATS_PRODUCT } from '../../subgraphs/editstats/store/migrations';
import { stopAll, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { startKafka } from '../lib/kafka';
import { benchCassandraContactPoints } from './pageviews';

export interface R1Result {
  events: number;
  runs: { maxBatchSize: number; seconds: number; eventsPerS: number }[];
  /** After ÷ before, events/s. */
  ratio: number;
}

export async function runR1(ctx: BenchContext, events: number): Promise<R1Result> {
  const children: Child[] = [];
  const config = loadConfig({
    SDP_CASSANDRA_CONTACT_POINTS: benchCassandraContactPoints(),
    SDP_CASSANDRA_KEYSPACE_PREFIX: `sdp_bench_${randomBytes(3).toString('hex')}_`,
    SDP_CASSANDRA_CONSISTENCY: 'ONE',
    SDP_KAFKA_SESSION_TIMEOUT_MS: '6000',
  });
  try {
    const kafka = await startKafka(ctx.cpus.others);
    children.push(kafka.child);
    const env = { ...config, kafkaBrokers: kafka.brokers, kafkaClientId: 'sdp-bench-r1' };
    const topic = topicFor(env, PAGE_CHANGE_STREAM);

    const messages = new PageChangeGenerator({ seed: DEMO_SEED })
      .nextN(events)
      .map((e) => toMessage(editstats.streams[0]!, e));
    const client = new Kafka({
      clientId: 'sdp-bench-r1',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = client.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      for (let i = 0; i < messages.length; i += 2000) {
        await producer.send({
          topic,
          acks: -1,
          compression: CompressionTypes.GZIP,
          messages: messages
            .slice(i, i + 2000)
            .map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    const log = createEventLog(env, pino({ level: 'silent' }));
    const store = await openCassandraEditStatsStore(env);
    try {
      const offsets = await log.offsets(topic);
      const held = offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
      if (offsets.some((p) => p.low !== '0') || held !== events)
        throw new Error(
          `R1: the Kafka cluster holds ${held} of the ${events} events produced (log starts ` +
            `${offsets.map((p) => p.low).join(',')}): it dropped some; run with fewer --r1-events`,
        );
      const runs: R1Result['runs'] = [];
      let firstCounts: string | undefined;
      for (const maxBatchSize of [500, REBUILD_MAX_BATCH_SIZE]) {
        const started = performance.now();
        await rebuildProduct({
          product: editstats,
          store,
          log,
          config: env,
          logger: pino({ level: 'silent' }),
          maxBatchSize,
        });
        const seconds = (performance.now() - started) / 1000;
        runs.push({ maxBatchSize, seconds, eventsPerS: events / seconds });
        ctx.log(`R1: rebuild in batches of ${maxBatchSize}: ${seconds.toFixed(1)} s`);
        const counts = JSON.stringify(
          await Promise.all(
            ['enwiki', 'dewiki'].map((wikiId) =>
              store.wikiDailyStats({ wikiId, startDay: '20000101', endDay: '29991231' }),
            ),
          ),
        );
        if (firstCounts === undefined) firstCounts = counts;
        else if (counts !== firstCounts) throw new Error('R1: the two rebuilds left different daily counts');
      }
      return { events, runs, ratio: runs[1]!.eventsPerS / runs[0]!.eventsPerS };
    } finally {
      await store.close();
      await log.close();
    }
  } finally {
    await stopAll(children);
    await dropKeyspace(config, keyspaceFor(config, EDITSTATS_PRODUCT));
  }
}

export function r1Table(r: R1Result): string {
  return [
    `R1 sdp rebuild editstats over ${r.events} page_change events (Kafka test cluster → Cassandra)`,
    ...r.runs.map(
      (run) =>
        `  batches of ${run.maxBatchSize}: ${run.seconds.toFixed(1)} s = ${run.eventsPerS.toFixed(0)} events/s`,
    ),
    `  after/before: ${r.ratio.toFixed(2)}×`,
  ].join('\n');
}
