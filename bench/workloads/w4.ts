/**
 * W4, ingest: `mediawiki.page_change.v1` events from the Kafka test cluster into
 * MariaDB through the `pages` product: its binding, its MariaDB store and the
 * platform's ingest (streams/ingest.ts), the code `sdp start` runs.
 *
 *  1. Throughput, in waves. The librdkafka mock cluster keeps only a few MB per
 *     partition (older messages are dropped), so the backlog is produced in
 *     waves of `waveEvents` (default 4,000), each to a fresh topic while no
 *     consumer runs; then a fresh consumer group ingests the wave. A wave's time
 *     runs from the consumer being up (or its first store write, if earlier) to
 *     its last store write; events/s = all events / all wave times. The events
 *     are the demo generator's (fixed seed), one continuous history.
 *  2. The raw ceiling: the same events' rows written by mysql2 alone, with the
 *     store's own upsert statements, 1,000 rows per statement, one connection, to
 *     a second fresh database; then both databases must hold identical tables
 *     (CHECKSUM TABLE), which also proves the ingest lost and altered nothing.
 *  3. Freshness: the platform with the pages product (bench/hosts/pages-ingest.ts,
 *     startPlatform as `sdp start` runs it, in its own process) on the ingested
 *     database; one new revision at a time is produced, and the gateway polled
 *     every 5 ms until `revision(revId)` shows it: produce → visible, p50/p99.
 *
 * The throughput phase runs in this process, unpinned (MariaDB is a system
 * service on whichever core is free): there is no load generator to keep apart.
 * This process runs with sdp's launcher flags (bench/lib/node-flags.ts), as the
 * ingest does inside `sdp start`.
 */
import path from 'node:path';
import pino from 'pino';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { loadConfig, topicFor } from '../../config/env';
import { DEMO_SEED } from '../../demo/feeder';
import { PageChangeGenerator } from '../../demo/page-change-generator';
import { openMariaDbPool } from '../../platform/mariadb';
import { createEventLog } from '../../streams';
import { toMessage } from '../../streams/check';
import { startIngest } from '../../streams/ingest';
import type { EventLog, LogProducer, OutgoingMessage } from '../../streams/port';
import { loadEventSchemas } from '../../streams/schemas';
import { toPageChange } from '../../subgraphs/pages/events';
import { PAGE_CHANGE_STREAM, type PageChangeEvent } from '../../streams/contracts/page-change';
import { pageChangeBinding } from '../../subgraphs/pages/product';
import {
  openMariaDbPagesStore,
  pageRow,
  revisionRow,
  UPSERT_PAGES_SQL,
  UPSERT_REVISIONS_SQL,
} from '../../subgraphs/pages/store/mariadb';
import type { PagesStore } from '../../subgraphs/pages/store/port';
import { HOST_READY } from '../hosts/host';
import { pinSelf, startChild, stopAll, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { compiledBenchDir } from '../lib/gateways';
import { startKafka } from '../lib/kafka';
import { launcherNodeFlags } from '../lib/node-flags';
import { createBenchDatabase, type BenchDatabase } from '../lib/mariadb';
import { percentile } from '../lib/stats';

export interface W4Options {
  /** Events ingested in all (default 100,000). */
  events: number;
  /** Events per wave (default 4,000): what the mock cluster holds without dropping any. */
  waveEvents: number;
  /** Freshness samples (default 100). */
  freshnessSamples: number;
}

export interface W4Result {
  name: 'W4 ingest';
  events: number;
  ingest: {
    eventsPerS: number;
    waves: number;
    /** Sum of the waves' times. */
    seconds: number;
    /** CPU of this process (consumer, validation, SQL building) over the waves, per 1,000 events. */
    cpuMsPer1000Events: number;
    deadLettered: number;
  };
  raw: { eventsPerS: number; seconds: number; rowsPerStatement: number };
  /** ingest / raw events per second. */
  ingestVsRaw: number;
  /** Both databases ended with identical tables. */
  statesMatch: boolean;
  freshness: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
}

/** Rows per upsert statement in the raw ceiling: the store's own chunk size. */
const RAW_CHUNK = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tableChecksums(pool: Pool): Promise<string> {
  const [rows] = await pool.query<RowDataPacket[]>('CHECKSUM TABLE pages_page, pages_revision');
  return rows.map((r) => String(r.Checksum)).join(',');
}

async function rawCeiling(db: BenchDatabase, events: PageChangeEvent[]): Promise<W4Result['raw']> {
  // The store creates the tables (its migrations), then steps aside: only mysql2 writes.
  await (await openMariaDbPagesStore(db.url)).close();
  // The store's own row builders and statements: the ceiling is the same writes without the platform around them.
  const rows = events.map((e) => {
    const change = toPageChange(e);
    return { page: pageRow(change.page), revision: revisionRow(change.revision) };
  });
  const pool = await openMariaDbPool(db.url, { connectionLimit: 1 });
  try {
    const started = performance.now();
    for (let i = 0; i < rows.length; i += RAW_CHUNK) {
      const chunk = rows.slice(i, i + RAW_CHUNK);
      await pool.query(UPSERT_PAGES_SQL, [chunk.map((r) => r.page)]);
      await pool.query(UPSERT_REVISIONS_SQL, [chunk.map((r) => r.revision)]);
    }
    const seconds = (performance.now() - started) / 1000;
    return { eventsPerS: events.length / seconds, seconds, rowsPerStatement: RAW_CHUNK };
  } finally {
    await pool.end();
  }
}

/** The generator's next events up to and including one that adds a revision (create or edit). */
function freshnessEvents(generator: PageChangeGenerator): {
  messages: OutgoingMessage[];
  target: PageChangeEvent;
} {
  const messages: OutgoingMessage[] = [];
  for (;;) {
    const event = generator.next();
    messages.push(toMessage(pageChangeBinding, event));
    if (event.page_change_kind === 'create' || event.page_change_kind === 'edit')
      return { messages, target: event };
  }
}

/** Polls the gateway until `target`'s revision shows; returns ms since `started`. */
async function untilVisible(graphqlUrl: string, target: PageChangeEvent, started: number): Promise<number> {
  const body = JSON.stringify({
    query:
      'query Fresh($wikiId: String!, $revId: ID!) { revision(wikiId: $wikiId, revId: $revId) { revId } }',
    variables: { wikiId: target.wiki_id, revId: String(target.revision.rev_id) },
  });
  for (;;) {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const json = (await response.json()) as { data?: { revision: unknown }; errors?: unknown };
    if (json.errors) throw new Error(`W4 freshness query failed: ${JSON.stringify(json.errors)}`);
    if (json.data?.revision) return performance.now() - started;
    if (performance.now() - started > 30_000) {
      throw new Error(`W4: revision ${target.revision.rev_id} not visible through the gateway after 30 s`);
    }
    await sleep(5);
  }
}

interface Wave {
  events: number;
  seconds: number;
  cpuMs: number;
  deadLettered: number;
}

/** Produces one wave to a fresh topic, then ingests it with a fresh consumer group. */
async function ingestWave(
  log: EventLog,
  producer: LogProducer,
  store: PagesStore,
  messages: OutgoingMessage[],
  topic: string,
): Promise<Wave> {
  for (let i = 0; i < messages.length; i += 1000) await producer.send(topic, messages.slice(i, i + 1000));
  const offsets = await log.offsets(topic);
  const held = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  if (held !== messages.length || offsets.some((p) => p.low !== '0')) {
    throw new Error(
      `W4: the Kafka cluster holds ${held} of the ${messages.length} events just produced to ${topic} ` +
        '(the mock cluster drops old messages past a few MB per partition): use a smaller --wave',
    );
  }

  // The store, timed: when the first write of the wave starts and the last one ends.
  let first: { at: number; cpu: NodeJS.CpuUsage } | undefined;
  let lastEnd = 0;
  const timed: PagesStore = {
    ...store,
    async applyChanges(changes) {
      first ??= { at: performance.now(), cpu: process.cpuUsage() };
      await store.applyChanges(changes);
      lastEnd = performance.now();
    },
  };
  const ingest = await startIngest({
    log,
    schemas: loadEventSchemas(),
    binding: pageChangeBinding,
    store: timed,
    groupId: `${topic}.pages`,
    topic,
    logger: pino({ level: 'silent' }),
    startFrom: 'earliest',
  });
  // Up: joined and fetching. Whichever came first, this or the first write, starts the clock.
  const up = { at: performance.now(), cpu: process.cpuUsage() };
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const stats = ingest.stats();
      if (stats.applied + stats.deadLettered >= messages.length) break;
      if (Date.now() > deadline) {
        throw new Error(
          `W4: a wave's ingest stalled at ${JSON.stringify(stats)} of ${messages.length} events`,
        );
      }
      await sleep(2);
    }
    const start = first && first.at < up.at ? first : up;
    const cpu = process.cpuUsage(start.cpu);
    return {
      events: messages.length,
      seconds: (lastEnd - start.at) / 1000,
      cpuMs: (cpu.user + cpu.system) / 1000,
      deadLettered: ingest.stats().deadLettered,
    };
  } finally {
    await ingest.stop();
  }
}

export async function runW4(ctx: BenchContext, options: W4Options): Promise<W4Result> {
  const children: (Child | undefined)[] = [];
  const databases: BenchDatabase[] = [];
  let log: EventLog | undefined;
  let producer: LogProducer | undefined;
  let store: PagesStore | undefined;
  if (ctx.cpus.others)
    pinSelf(ctx.cpus.gateways ? `${ctx.cpus.gateways},${ctx.cpus.others}` : ctx.cpus.others);
  try {
    const kafka = await startKafka(ctx.cpus.others);
    children.push(kafka.child);
    const ingestDb = await createBenchDatabase();
    databases.push(ingestDb);
    const rawDb = await createBenchDatabase();
    databases.push(rawDb);

    const run = `bench-${Date.now().toString(36)}`;
    const kafkaEnv = { SDP_KAFKA_BROKERS: kafka.brokers.join(','), SDP_KAFKA_CLIENT_ID: 'sdp-bench' };
    log = createEventLog(loadConfig(kafkaEnv), pino({ level: 'silent' }));
    producer = await log.producer();
    store = await openMariaDbPagesStore(ingestDb.url);

    const generator = new PageChangeGenerator({ seed: DEMO_SEED });
    const events = generator.nextN(options.events);
    const messages = events.map((e) => toMessage(pageChangeBinding, e));
    const waves: Wave[] = [];
    for (let i = 0; i < messages.length; i += options.waveEvents) {
      const topic = `${run}-w${waves.length}.${PAGE_CHANGE_STREAM}`;
      waves.push(await ingestWave(log, producer, store, messages.slice(i, i + options.waveEvents), topic));
      const w = waves.at(-1)!;
      ctx.log(`W4: wave ${waves.length}: ${w.events} events in ${(w.seconds * 1000).toFixed(0)} ms`);
    }
    const seconds = waves.reduce((sum, w) => sum + w.seconds, 0);
    const cpuMs = waves.reduce((sum, w) => sum + w.cpuMs, 0);
    const ingest = {
      eventsPerS: events.length / seconds,
      waves: waves.length,
      seconds,
      cpuMsPer1000Events: (cpuMs / events.length) * 1000,
      deadLettered: waves.reduce((sum, w) => sum + w.deadLettered, 0),
    };
    ctx.log(`W4: ingest ${ingest.eventsPerS.toFixed(0)} events/s over ${waves.length} waves`);

    const raw = await rawCeiling(rawDb, events);
    ctx.log(`W4: raw mysql2 upserts ${raw.eventsPerS.toFixed(0)} events/s`);
    const pools = await Promise.all(
      [ingestDb, rawDb].map((db) => openMariaDbPool(db.url, { connectionLimit: 1 })),
    );
    let statesMatch: boolean;
    try {
      const [ingested, written] = await Promise.all(pools.map(tableChecksums));
      statesMatch = ingested === written;
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    if (!statesMatch) {
      throw new Error(
        'W4: the ingested tables differ from the ones the raw upserts wrote from the same events',
      );
    }

    // Freshness, through the platform. Its topic must exist before its consumer
    // subscribes, so the first sample's events go in first and that sample is not counted.
    const freshTopic = topicFor({ topicPrefix: `${run}-fresh.` }, PAGE_CHANGE_STREAM);
    const platformEnv = {
      ...Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('SDP_') && k !== 'NODE_ENV'),
      ),
      ...kafkaEnv,
      SDP_TOPIC_PREFIX: `${run}-fresh.`,
      SDP_CONSUMER_GROUP_PREFIX: run,
      SDP_MARIADB_URL: ingestDb.url,
      SDP_PORT: '0',
      SDP_SUBGRAPH_PORT_BASE: '0',
      SDP_DEMO: '0',
      SDP_LOG_LEVEL: 'warn',
    };
    const warm = freshnessEvents(generator);
    await producer.send(freshTopic, warm.messages);
    const platform = await startChild({
      name: 'pages platform (W4)',
      command: process.execPath,
      // The platform as `sdp start` runs it: with the launcher's Node flags.
      args: [...launcherNodeFlags(), path.join(compiledBenchDir(), 'hosts', 'pages-ingest.js')],
      env: platformEnv,
      cpus: ctx.cpus.gateways,
      ready: HOST_READY,
      readyTimeoutMs: 120_000,
    });
    children.push(platform);
    const graphqlUrl = `${(JSON.parse(platform.match[1]!) as { gatewayUrl: string }).gatewayUrl}/graphql`;
    await untilVisible(graphqlUrl, warm.target, performance.now());
    const samples: number[] = [];
    for (let i = 0; i < options.freshnessSamples; i++) {
      const next = freshnessEvents(generator);
      const started = performance.now();
      await producer.send(freshTopic, next.messages);
      samples.push(await untilVisible(graphqlUrl, next.target, started));
      platform.assertAlive();
      // A random gap, so samples do not lock into the consumer's fetch cycle.
      await sleep(Math.random() * 100);
    }
    const freshness = {
      samples: samples.length,
      p50Ms: percentile(samples, 50),
      p99Ms: percentile(samples, 99),
      maxMs: Math.max(...samples),
    };
    ctx.log(`W4: freshness p50 ${freshness.p50Ms.toFixed(0)} ms, p99 ${freshness.p99Ms.toFixed(0)} ms`);
    return {
      name: 'W4 ingest',
      events: events.length,
      ingest,
      raw,
      ingestVsRaw: ingest.eventsPerS / raw.eventsPerS,
      statesMatch,
      freshness,
    };
  } finally {
    await store?.close().catch(() => undefined);
    await producer?.close().catch(() => undefined);
    await log?.close().catch(() => undefined);
    await stopAll(children);
    for (const db of databases) await db.drop().catch(() => undefined);
    if (ctx.cpus.others) pinSelf(ctx.cpus.others);
  }
}
