/**
 * W4R, ingest as users run it: the whole platform (`startPlatform`, as
 * `sdp start` runs it: every product, every consumer) on the Kafka test cluster
 * and MariaDB, fed `mediawiki.page_change.v1` events, against what MariaDB
 * takes of the same writes from plain mysql2 in the same run.
 *
 *  1. Events: the demo generator's (fixed seed, one continuous history), keyed
 *     as Wikimedia keys the stream, produced gzip-compressed (as EventGate
 *     produces) by a plain kafkajs producer. The first `before` events are
 *     produced before the platform starts (the backlog a restarted or rebuilt
 *     platform finds), the rest as fast as the producer goes once it is up. The mock
 *     cluster keeps only ~5 MiB per partition and drops older messages
 *     silently, so the run asserts afterwards that every partition still
 *     starts at offset 0 and ends where the events say.
 *  2. The platform in its own process (bench/hosts/platform-ingest.ts),
 *     unpinned (as users run it; MariaDB floats too), MariaDB-backed `pages` and `users`, embedded `editstats`
 *     and `pageviews` (no Cassandra), demo off, log level warn. A product's
 *     store has reached the last event when its consumer group's committed
 *     offsets (committed only after the store write) reach the log end on
 *     every partition; its time runs from its consumer being up (joined and
 *     fetching, as the platform reports it) to then, over every event. The
 *     platform's lag is back to zero when the slowest product got there,
 *     counted from the first consumer being up. CPU is the platform process's
 *     over the same window (sampled every 50 ms from its spawn), per 1,000
 *     events; each event is read by every page_change product.
 *  3. Each page_change product alone (the same host, only that product), for
 *     its own figure and CPU per 1,000 events beside the whole platform's.
 *  4. The raw ceiling: the same rows, built by the stores' own row builders,
 *     written by mysql2 with the stores' own upsert statements in multi-row
 *     batches of 500 events (the ingest's batch), one connection per Kafka
 *     partition in that partition's order, no Kafka, no validation: `pages`'
 *     writes alone, `users`' writes alone, and both at once (the time "the raw
 *     writes take"), each into a fresh database. The platform's tables must
 *     then equal the raw ones (CHECKSUM TABLE): nothing lost or altered.
 */
import os from 'node:os';
import path from 'node:path';
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { deadLetterTopic, loadConfig, topicFor } from '../../config/env';
import { DEMO_SEED } from '../../demo/feeder';
import { PageChangeGenerator } from '../../demo/page-change-generator';
import { isDeadlock, openMariaDbPool } from '../../platform/mariadb';
import { loadProducts } from '../../platform/products';
import { consumerGroup } from '../../platform/start';
import { toMessage } from '../../streams/check';
import { PAGE_CHANGE_STREAM, type PageChangeEvent } from '../../streams/contracts/page-change';
import { partitionForKey } from '../../streams/embedded/log';
import type { OutgoingMessage } from '../../streams/port';
import { toPageChange } from '../../subgraphs/pages/events';
import { pageChangeBinding } from '../../subgraphs/pages/product';
import {
  openMariaDbPagesStore,
  pageRow,
  revisionRow,
  UPSERT_PAGES_SQL,
  UPSERT_REVISIONS_SQL,
} from '../../subgraphs/pages/store/mariadb';
import { pageChangeUserChanges } from '../../subgraphs/users/events';
import { foldedRows, openMariaDbUsersStore, UPSERT_USERS_SQL } from '../../subgraphs/users/store/mariadb';
import { HOST_READY } from '../hosts/host';
import { startChild, stopAll, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { compiledBenchDir } from '../lib/gateways';
import { startKafka } from '../lib/kafka';
import { createBenchDatabase, type BenchDatabase } from '../lib/mariadb';
import { launcherNodeFlags } from '../lib/node-flags';
import { cpuMs } from '../lib/proc';

export interface W4ROptions {
  /** page_change events in all (default 40,000). */
  events: number;
  /** Of which produced before the platform starts (default nine tenths). */
  before: number;
  /** Also run each page_change product alone (default true). */
  alone: boolean;
  /** Node flags for the platform's process besides the launcher's, e.g. `--cpu-prof` to profile it. */
  platformNodeFlags: string[];
}

export interface ProductIngest {
  product: string;
  events: number;
  /** Its consumer up → its committed offsets at the log end. */
  seconds: number;
  eventsPerS: number;
}

export interface PlatformRun {
  /** Products the platform ran. */
  products: string[];
  /** Spawn → the first consumer up. */
  startupS: number;
  /** Spawn → every consumer and the gateway up (startPlatform resolved). */
  readyS: number;
  /** Producing the events after the platform was up (gzip, acks=all). */
  produceS: number;
  perProduct: ProductIngest[];
  /** The first consumer up → the slowest page_change product at the log end: the platform's lag back to zero. */
  lagZeroS: number;
  /** Platform process CPU from the first consumer up to lag zero, per 1,000 events (each read by every product). */
  cpuMsPer1000Events: number;
  loadAverage: number[];
}

export interface W4RResult {
  name: 'W4R ingest as run';
  events: number;
  before: number;
  partitions: number;
  /** Every product together, as `sdp start` runs them. */
  all: PlatformRun;
  /** Each page_change product alone. */
  alone: PlatformRun[];
  raw: { pagesS: number; usersS: number; bothS: number; eventsPerBatch: number };
  /** Per MariaDB product: its ingest with every product running / the raw ceiling of its own writes. */
  vsRaw: Record<string, number>;
  /** Slowest product's lag-zero time / the time the raw writes of every MariaDB product take together. */
  lagZeroVsRawBoth: number;
  statesMatch: boolean;
}

/** Events per raw write batch: the ingest's own batch (DEFAULT_MAX_BATCH_SIZE). */
const RAW_BATCH = 500;
const PRODUCE_BATCH = 1000;
const POLL_MS = 20;
const CPU_SAMPLE_MS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function produce(producer: Producer, topic: string, messages: OutgoingMessage[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < messages.length; i += PRODUCE_BATCH) {
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: messages.slice(i, i + PRODUCE_BATCH),
    });
  }
  return (performance.now() - started) / 1000;
}

/** Events a group has handled on a fresh topic: its committed offsets summed (offsets are dense from 0). */
async function committedSum(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [byTopic] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let sum = 0;
  for (const { offset } of byTopic?.partitions ?? []) if (!offset.startsWith('-')) sum += Number(offset);
  return sum;
}

async function checkRetained(admin: Admin, topic: string, expected: number[]): Promise<void> {
  const offsets = await admin.fetchTopicOffsets(topic);
  for (const { partition, low, high } of offsets) {
    if (low !== '0' || Number(high) !== expected[partition]) {
      throw new Error(
        `W4R: ${topic} partition ${partition} holds offsets ${low}–${high}, expected 0–${expected[partition]}: ` +
          'the mock cluster dropped messages (it keeps ~5 MiB per partition); use fewer --w4r-events',
      );
    }
  }
}

interface Env {
  kafkaEnv: Record<string, string>;
  admin: Admin;
  producer: Producer;
  run: string;
  platformNodeFlags: string[];
}

async function platformRun(
  ctx: BenchContext,
  env: Env,
  label: string,
  products: string[] | undefined,
  messages: OutgoingMessage[],
  expectedEnds: number[],
  before: number,
  db: BenchDatabase,
): Promise<PlatformRun> {
  const prefix = `${env.run}-${label}.`;
  const topic = `${prefix}${PAGE_CHANGE_STREAM}`;
  const platformEnv: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] => !e[0].startsWith('SDP_') && e[0] !== 'NODE_ENV' && e[1] !== undefined,
      ),
    ),
    ...env.kafkaEnv,
    SDP_TOPIC_PREFIX: prefix,
    SDP_CONSUMER_GROUP_PREFIX: `${env.run}-${label}`,
    SDP_MARIADB_URL: db.url,
    SDP_PORT: '0',
    SDP_SUBGRAPH_PORT_BASE: '0',
    SDP_DEMO: '0',
    SDP_LOG_LEVEL: 'warn',
    ...(products ? { BENCH_PRODUCTS: products.join(',') } : {}),
  };
  const config = loadConfig(platformEnv);
  const running = loadProducts().filter((p) => !products || products.includes(p.name));
  const groups = running
    .filter((p) => p.streams.some((s) => s.stream === PAGE_CHANGE_STREAM))
    .map((p) => ({ product: p.name, groupId: consumerGroup(config, p.name, PAGE_CHANGE_STREAM) }));
  if (topicFor(config, PAGE_CHANGE_STREAM) !== topic) throw new Error('W4R: topic naming changed');

  await produce(env.producer, topic, messages.slice(0, before));
  const spawnedAt = Date.now();
  let platform: Child | undefined;
  // The platform's CPU through its whole life, so that it can be read at the
  // moment its first consumer was up, which it reports only later.
  const cpuSamples: { at: number; ms: number }[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    platform = await startChild({
      onSpawn: (pid) => {
        sampler = setInterval(() => cpuSamples.push({ at: Date.now(), ms: cpuMs(pid) }), CPU_SAMPLE_MS);
      },
      name: `platform (W4R ${label})`,
      command: process.execPath,
      args: [
        ...launcherNodeFlags(),
        ...env.platformNodeFlags,
        path.join(compiledBenchDir(), 'hosts', 'platform-ingest.js'),
      ],
      env: platformEnv,
      // Unpinned, as users run it: the machine's cores are shared with MariaDB, which floats too.
      ready: HOST_READY,
      readyTimeoutMs: 180_000,
    });
    const readyAt = Date.now();
    const ready = JSON.parse(platform.match[1]!) as {
      ingests: { product: string; stream: string; startedAt: number }[];
    };
    const startedAt = new Map(
      ready.ingests.filter((i) => i.stream === PAGE_CHANGE_STREAM).map((i) => [i.product, i.startedAt]),
    );
    let produceS = NaN;
    let produceError: unknown;
    const producing = produce(env.producer, topic, messages.slice(before)).then(
      (s) => void (produceS = s),
      (err: unknown) => void (produceError = err),
    );
    // Epoch milliseconds, the clock the platform's start times are on.
    const finished = new Map<string, number>();
    const deadline = Date.now() + 300_000;
    while (finished.size < groups.length) {
      if (produceError) throw produceError;
      platform.assertAlive();
      const sums = await Promise.all(groups.map((g) => committedSum(env.admin, g.groupId, topic)));
      const now = Date.now();
      groups.forEach((g, i) => {
        if (!finished.has(g.product) && sums[i] === messages.length) finished.set(g.product, now);
      });
      if (finished.size === groups.length) cpuSamples.push({ at: now, ms: cpuMs(platform.pid) });
      else if (now > deadline) {
        throw new Error(
          `W4R ${label}: not caught up after 300 s: ${groups.map((g, i) => `${g.product} ${sums[i]}`).join(', ')} of ${messages.length}`,
        );
      } else await sleep(POLL_MS);
    }
    await producing;
    await checkRetained(env.admin, topic, expectedEnds);
    const dlq = await env.admin.listTopics();
    if (dlq.includes(deadLetterTopic(topic))) {
      const dead = await env.admin.fetchTopicOffsets(deadLetterTopic(topic));
      const n = dead.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
      if (n > 0) throw new Error(`W4R ${label}: ${n} events were dead-lettered`);
    }
    const perProduct = groups.map((g) => {
      const from = startedAt.get(g.product);
      if (from === undefined) throw new Error(`W4R ${label}: the platform reported no ${g.product} consumer`);
      const seconds = (finished.get(g.product)! - from) / 1000;
      return { product: g.product, events: messages.length, seconds, eventsPerS: messages.length / seconds };
    });
    const firstUp = Math.min(...startedAt.values());
    const lastDone = Math.max(...finished.values());
    // The last sample taken before the first consumer was up (samples are CPU_SAMPLE_MS apart).
    const cpuAtUp = cpuSamples.filter((c) => c.at <= firstUp).at(-1)?.ms ?? 0;
    const cpuAtEnd = cpuSamples.at(-1)!.ms;
    const result: PlatformRun = {
      products: running.map((p) => p.name),
      startupS: (firstUp - spawnedAt) / 1000,
      readyS: (readyAt - spawnedAt) / 1000,
      produceS,
      perProduct,
      lagZeroS: (lastDone - firstUp) / 1000,
      cpuMsPer1000Events: ((cpuAtEnd - cpuAtUp) / messages.length) * 1000,
      loadAverage: os.loadavg(),
    };
    ctx.log(
      `W4R ${label}: first consumer up in ${result.startupS.toFixed(1)} s, all in ${result.readyS.toFixed(1)} s; ` +
        perProduct
          .map(
            (p) =>
              `${p.product} ${p.eventsPerS.toFixed(0)} events/s (${p.events} in ${p.seconds.toFixed(2)} s)`,
          )
          .join(', ') +
        `; ${result.cpuMsPer1000Events.toFixed(0)} CPU ms per 1,000 events; produced in ${produceS.toFixed(2)} s`,
    );
    return result;
  } finally {
    clearInterval(sampler);
    await stopAll([platform]);
  }
}

interface RawBatch {
  pages: unknown[][];
  revisions: unknown[][];
  users: unknown[][];
}

/** The rows of every 500-event batch of each partition, built before the clock starts. */
function rawBatches(events: PageChangeEvent[], partitionOf: number[], partitions: number): RawBatch[][] {
  const byPartition: PageChangeEvent[][] = Array.from({ length: partitions }, () => []);
  events.forEach((e, i) => byPartition[partitionOf[i]!]!.push(e));
  return byPartition.map((list) => {
    const batches: RawBatch[] = [];
    for (let i = 0; i < list.length; i += RAW_BATCH) {
      const slice = list.slice(i, i + RAW_BATCH);
      const changes = slice.map(toPageChange);
      batches.push({
        pages: changes.map((c) => pageRow(c.page)),
        revisions: changes.map((c) => revisionRow(c.revision)),
        users: foldedRows(slice.flatMap(pageChangeUserChanges)),
      });
    }
    return batches;
  });
}

async function query(pool: Pool, sql: string, rows: unknown[][]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query(sql, [rows]);
      return;
    } catch (err) {
      // Users rows are shared across partitions; InnoDB may pick a statement as a deadlock victim.
      if (!isDeadlock(err) || attempt >= 5) throw err;
    }
  }
}

/** Seconds to write the products' rows with mysql2 alone, one connection per partition per product. */
async function rawWrites(
  db: BenchDatabase,
  batches: RawBatch[][],
  which: ('pages' | 'users')[],
): Promise<number> {
  await (await openMariaDbPagesStore(db.url)).close();
  await (await openMariaDbUsersStore(db.url)).close();
  const pool = await openMariaDbPool(db.url, { connectionLimit: batches.length * which.length });
  try {
    // Every connection open before the clock starts.
    const conns = await Promise.all(
      Array.from({ length: batches.length * which.length }, () => pool.getConnection()),
    );
    conns.forEach((c) => c.release());
    const started = performance.now();
    await Promise.all(
      which.flatMap((product) =>
        batches.map(async (partition) => {
          for (const b of partition) {
            if (product === 'pages') {
              await query(pool, UPSERT_PAGES_SQL, b.pages);
              await query(pool, UPSERT_REVISIONS_SQL, b.revisions);
            } else if (b.users.length > 0) await query(pool, UPSERT_USERS_SQL, b.users);
          }
        }),
      ),
    );
    return (performance.now() - started) / 1000;
  } finally {
    await pool.end();
  }
}

async function checksums(url: string, tables: string[]): Promise<string> {
  const pool = await openMariaDbPool(url, { connectionLimit: 1 });
  try {
    const [rows] = await pool.query<RowDataPacket[]>(`CHECKSUM TABLE ${tables.join(', ')}`);
    return rows.map((r) => String(r.Checksum)).join(',');
  } finally {
    await pool.end();
  }
}

export async function runW4R(ctx: BenchContext, options: W4ROptions): Promise<W4RResult> {
  const children: (Child | undefined)[] = [];
  const databases: BenchDatabase[] = [];
  let kafkaClient: { admin: Admin; producer: Producer } | undefined;
  try {
    const kafka = await startKafka(ctx.cpus.others);
    children.push(kafka.child);
    const client = new Kafka({ clientId: 'sdp-bench', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    kafkaClient = { admin: client.admin(), producer: client.producer({ allowAutoTopicCreation: true }) };
    await kafkaClient.admin.connect();
    await kafkaClient.producer.connect();
    const env: Env = {
      kafkaEnv: { SDP_KAFKA_BROKERS: kafka.brokers.join(','), SDP_KAFKA_CLIENT_ID: 'sdp-bench' },
      admin: kafkaClient.admin,
      producer: kafkaClient.producer,
      run: `bench-${Date.now().toString(36)}`,
      platformNodeFlags: options.platformNodeFlags,
    };

    const events = new PageChangeGenerator({ seed: DEMO_SEED }).nextN(options.events);
    const messages = events.map((e) => toMessage(pageChangeBinding, e));
    // Topics auto-create with the cluster's default partition count; learn it from a probe topic.
    const probe = `${env.run}-probe`;
    await env.producer.send({ topic: probe, messages: [{ key: 'k', value: 'v' }] });
    const partitions = (await env.admin.fetchTopicOffsets(probe)).length;
    const partitionOf = messages.map((m) => partitionForKey(Buffer.from(m.key as string), partitions));
    const expectedEnds = Array.from(
      { length: partitions },
      (_, p) => partitionOf.filter((x) => x === p).length,
    );
    const before = Math.min(options.before, messages.length);

    const newDb = async () => {
      const db = await createBenchDatabase();
      databases.push(db);
      return db;
    };
    const allDb = await newDb();
    const all = await platformRun(ctx, env, 'all', undefined, messages, expectedEnds, before, allDb);
    const alone: PlatformRun[] = [];
    const aloneDbs = new Map<string, BenchDatabase>();
    if (options.alone) {
      for (const g of all.perProduct) {
        const db = await newDb();
        aloneDbs.set(g.product, db);
        alone.push(await platformRun(ctx, env, g.product, [g.product], messages, expectedEnds, before, db));
      }
    }

    const batches = rawBatches(events, partitionOf, partitions);
    const rawPagesDb = await newDb();
    const pagesS = await rawWrites(rawPagesDb, batches, ['pages']);
    const rawUsersDb = await newDb();
    const usersS = await rawWrites(rawUsersDb, batches, ['users']);
    const rawBothDb = await newDb();
    const bothS = await rawWrites(rawBothDb, batches, ['pages', 'users']);
    ctx.log(
      `W4R raw mysql2: pages ${(events.length / pagesS).toFixed(0)} events/s, users ${(events.length / usersS).toFixed(0)}, ` +
        `both at once ${(events.length / bothS).toFixed(0)}`,
    );

    const tables = ['pages_page', 'pages_revision', 'users_user'];
    const expected = await checksums(rawBothDb.url, tables);
    const compared = [await checksums(allDb.url, tables)];
    const pagesAloneDb = aloneDbs.get('pages');
    if (pagesAloneDb)
      compared.push(`${await checksums(pagesAloneDb.url, tables.slice(0, 2))},${expected.split(',')[2]}`);
    const usersAloneDb = aloneDbs.get('users');
    if (usersAloneDb)
      compared.push(
        `${expected.split(',').slice(0, 2).join(',')},${await checksums(usersAloneDb.url, tables.slice(2))}`,
      );
    const statesMatch = compared.every((c) => c === expected);
    if (!statesMatch)
      throw new Error(
        `W4R: the platform's tables differ from the raw writes' (${compared.join(' | ')} vs ${expected})`,
      );

    const rawSeconds: Record<string, number> = { pages: pagesS, users: usersS };
    const vsRaw: Record<string, number> = {};
    for (const p of all.perProduct) {
      const raw = rawSeconds[p.product];
      if (raw !== undefined) vsRaw[p.product] = p.eventsPerS / (events.length / raw);
    }
    return {
      name: 'W4R ingest as run',
      events: events.length,
      before,
      partitions,
      all,
      alone,
      raw: { pagesS, usersS, bothS, eventsPerBatch: RAW_BATCH },
      vsRaw,
      lagZeroVsRawBoth: all.lagZeroS / bothS,
      statesMatch,
    };
  } finally {
    await kafkaClient?.producer.disconnect().catch(() => undefined);
    await kafkaClient?.admin.disconnect().catch(() => undefined);
    await stopAll(children);
    for (const db of databases) await db.drop().catch(() => undefined);
  }
}
