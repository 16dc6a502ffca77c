/**
 * L1, L2, Q1: the pageviews product at Wikimedia scale.
 *
 *  - L1: a generated day of dumps (24 files of `dumpLines` lines each, gzipped,
 *    demo/dump-generator.ts) loaded into Cassandra by `loadPageviewDumps` (what
 *    `sdp load pageviews` runs), rows/s and total time; next to the raw ceiling
 *    of the same node: the same files read and parsed the same way and each
 *    loadable line written as one plain prepared INSERT (no reads, no roll-ups)
 *    into a table shaped like the hourly one, with as many statements in
 *    flight as the loader may have (its batches in flight × the store's
 *    concurrency). Ratio = loader rows/s ÷ ceiling rows/s.
 *  - L2: the same files into the embedded store, rows/s.
 *  - Q1: `topPages` (first 1,000) of one project-day holding `q1Articles`
 *    distinct articles: p50/p99 of the precomputed list (one partition read)
 *    vs the scan of the day's ranking input (`scanTopPages`, what topPages did
 *    before the lists), on Cassandra and embedded. The day's rows are written
 *    through the store (`writeHours`), so list and scan hold what ingest wrote.
 *
 * Cassandra: SDP_BENCH_CASSANDRA_CONTACT_POINTS, else SDP_TEST_CASSANDRA_CONTACT_POINTS
 * (the test suite's server, when one is up); each run creates and drops its own keyspace.
 */
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import pino from 'pino';
import { loadConfig, type SdpConfig } from '../../config/env';
import { writeGeneratedDay } from '../../demo/dump-generator';
import { dropKeyspace, keyspaceFor, openCassandraSession } from '../../platform/cassandra';
import { dumpHour, parseDumpLine } from '../../subgraphs/pageviews/dump';
import { loadPageviewDumps, MAX_BATCHES_IN_FLIGHT } from '../../subgraphs/pageviews/load';
import { HOURLY_COLUMNS, type PageviewHour } from '../../subgraphs/pageviews/model';
import {
  CONCURRENCY,
  createCassandraPageviewsStore,
  openCassandraPageviewsStore,
} from '../../subgraphs/pageviews/store/cassandra';
import { createEmbeddedPageviewsStore } from '../../subgraphs/pageviews/store/embedded';
import { PAGEVIEWS_MIGRATIONS, PAGEVIEWS_PRODUCT } from '../../subgraphs/pageviews/store/migrations';
import type { PageviewsStore } from '../../subgraphs/pageviews/store/port';
import { forEachLimit } from '../../subgraphs/pageviews/concurrency';
import type { BenchContext } from '../lib/context';
import { percentile } from '../lib/stats';

const FOREVER = { hourlyDays: 0, dailyDays: 0 };
const DAY = '20241101';
const logger = pino({ level: 'silent' });

export interface LoadFigures {
  lines: number;
  rows: number;
  seconds: number;
  rowsPerS: number;
}

export interface PageviewsBenchResult {
  dumpLines: number;
  l1?: { loader: LoadFigures; ceiling: LoadFigures & { inFlight: number }; ratio: number };
  l2?: LoadFigures;
  q1?: {
    articles: number;
    cassandra: {
      listP50: number;
      listP99: number;
      scanP50: number;
      scanP99: number;
      samples: [number, number];
    };
    embedded: {
      listP50: number;
      listP99: number;
      scanP50: number;
      scanP99: number;
      samples: [number, number];
    };
  };
}

/** The Cassandra L1, Q1 and R1 use (they create and drop their own keyspaces in it). */
export function benchCassandraContactPoints(): string {
  const contactPoints =
    process.env.SDP_BENCH_CASSANDRA_CONTACT_POINTS ?? process.env.SDP_TEST_CASSANDRA_CONTACT_POINTS;
  if (!contactPoints)
    throw new Error(
      'L1, Q1 and R1 need a Cassandra: set SDP_BENCH_CASSANDRA_CONTACT_POINTS (host:port), e.g. the one the ' +
        'test harness starts (SDP_TEST_CASSANDRA_CONTACT_POINTS)',
    );
  return contactPoints;
}

export function benchCassandraConfig(): SdpConfig {
  return loadConfig({
    SDP_CASSANDRA_CONTACT_POINTS: benchCassandraContactPoints(),
    SDP_CASSANDRA_KEYSPACE_PREFIX: `sdp_bench_${randomBytes(3).toString('hex')}_`,
    SDP_CASSANDRA_CONSISTENCY: 'ONE',
  });
}

function figures(lines: number, rows: number, ms: number): LoadFigures {
  const seconds = ms / 1000;
  return { lines, rows, seconds, rowsPerS: rows / seconds };
}

/** The raw ceiling: every loadable line of the files as one plain prepared INSERT, `inFlight` at a time. */
async function ceiling(config: SdpConfig, files: readonly string[], inFlight: number): Promise<LoadFigures> {
  const session = await openCassandraSession(config, PAGEVIEWS_PRODUCT, PAGEVIEWS_MIGRATIONS);
  try {
    await session.execute(
      `CREATE TABLE IF NOT EXISTS ceiling_hourly (project text, article text, day text, timestamp text,
        ${HOURLY_COLUMNS.map((c) => `${c} int`).join(', ')}, PRIMARY KEY ((project, article, day), timestamp))`,
      [],
      { prepare: false },
    );
    const insert = (column: string) =>
      `INSERT INTO ceiling_hourly (project, article, day, timestamp, ${column}) VALUES (?, ?, ?, ?, ?)`;
    let lines = 0;
    let rows = 0;
    const started = performance.now();
    for (const file of files) {
      const hour = dumpHour(file)!;
      const reader = createInterface({
        input: createReadStream(file).pipe(createGunzip()),
        crlfDelay: Infinity,
      });
      async function* hours(): AsyncGenerator<PageviewHour> {
        for await (const line of reader) {
          lines++;
          const parsed = parseDumpLine(line, hour);
          if ('hour' in parsed) yield parsed.hour;
        }
      }
      const source = hours();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          for (let next = await source.next(); !next.done; next = await source.next()) {
            const h = next.value;
            const [column] = Object.keys(h.cells);
            await session.execute(insert(column!), [
              h.project,
              h.title,
              DAY,
              h.hour,
              h.cells[column as 'du'],
            ]);
            rows++;
          }
        }),
      );
    }
    return figures(lines, rows, performance.now() - started);
  } finally {
    await session.close();
  }
}

async function timed(store: PageviewsStore, files: readonly string[]): Promise<LoadFigures> {
  const started = performance.now();
  const summary = await loadPageviewDumps(store, files, { logger });
  return figures(summary.records, summary.rows, performance.now() - started);
}

async function latencies(run: () => Promise<unknown>, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await run();
    out.push(performance.now() - started);
  }
  return out;
}

/** Writes `articles` distinct articles of one project-day through the store, as ingest would. */
async function fillDay(store: PageviewsStore, articles: number): Promise<void> {
  const batches: PageviewHour[][] = [];
  for (let i = 0; i < articles; i += 2000) {
    batches.push(
      Array.from({ length: Math.min(2000, articles - i) }, (_, k) => {
        const n = i + k + 1;
        // Zipf-like views: article n has about 1,000,000 / n.
        return {
          wikiId: 'enwiki',
          project: 'en.wikipedia',
          namespace: 0,
          title: `Q1_${n.toString(36)}`,
          hour: `${DAY}12`,
          cells: { du: Math.max(1, Math.round(1_000_000 / n)) },
        };
      }),
    );
  }
  await forEachLimit(batches, MAX_BATCHES_IN_FLIGHT, async (b) => {
    await store.writeHours(b);
  });
}

async function q1On(store: PageviewsStore, articles: number, ctx: BenchContext, name: string) {
  const started = performance.now();
  await fillDay(store, articles);
  ctx.log(
    `Q1 ${name}: ${articles} articles written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const query = { project: 'en.wikipedia', access: 'all-access' as const, day: DAY, limit: 1000 };
  const list = await store.topPages(query);
  const scan = await store.scanTopPages(query);
  if (JSON.stringify(list) !== JSON.stringify(scan))
    throw new Error(`Q1 ${name}: the list and the scan differ`);
  const listMs = await latencies(() => store.topPages(query), 200);
  const scanMs = await latencies(() => store.scanTopPages(query), 10);
  return {
    listP50: percentile(listMs, 50),
    listP99: percentile(listMs, 99),
    scanP50: percentile(scanMs, 50),
    scanP99: percentile(scanMs, 99),
    samples: [listMs.length, scanMs.length] as [number, number],
  };
}

export async function runPageviewsBench(
  ctx: BenchContext,
  options: { only: readonly string[]; dumpLines: number; q1Articles: number },
): Promise<PageviewsBenchResult> {
  const result: PageviewsBenchResult = { dumpLines: options.dumpLines };
  const wants = (w: string) => options.only.includes(w);
  let files: string[] = [];
  if (wants('L1') || wants('L2')) {
    const started = performance.now();
    files = await writeGeneratedDay(ctx.workDir, DAY, { seed: 20241101, lines: options.dumpLines });
    ctx.log(
      `L1/L2: 24 × ${options.dumpLines} lines generated in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  if (wants('L1')) {
    const config = benchCassandraConfig();
    try {
      const store = await openCassandraPageviewsStore(config, { retention: FOREVER });
      let loader: LoadFigures;
      try {
        loader = await timed(store, files);
      } finally {
        await store.close();
      }
      ctx.log(`L1 loader: ${loader.rows} rows in ${loader.seconds.toFixed(1)} s`);
      const inFlight = MAX_BATCHES_IN_FLIGHT * CONCURRENCY;
      const raw = await ceiling(config, files, inFlight);
      ctx.log(`L1 ceiling: ${raw.rows} rows in ${raw.seconds.toFixed(1)} s`);
      result.l1 = { loader, ceiling: { ...raw, inFlight }, ratio: loader.rowsPerS / raw.rowsPerS };
    } finally {
      await dropKeyspace(config, keyspaceFor(config, PAGEVIEWS_PRODUCT));
    }
  }
  if (wants('L2')) {
    const store = createEmbeddedPageviewsStore({ retention: FOREVER });
    result.l2 = await timed(store, files);
    await store.close();
    ctx.log(`L2: ${result.l2.rows} rows in ${result.l2.seconds.toFixed(1)} s`);
  }
  if (wants('Q1')) {
    const config = benchCassandraConfig();
    try {
      const session = await openCassandraSession(config, PAGEVIEWS_PRODUCT, PAGEVIEWS_MIGRATIONS);
      const cassandraStore = createCassandraPageviewsStore(session, { retention: FOREVER });
      const embeddedStore = createEmbeddedPageviewsStore({ retention: FOREVER });
      try {
        result.q1 = {
          articles: options.q1Articles,
          cassandra: await q1On(cassandraStore, options.q1Articles, ctx, 'cassandra'),
          embedded: await q1On(embeddedStore, options.q1Articles, ctx, 'embedded'),
        };
      } finally {
        await cassandraStore.close();
        await embeddedStore.close();
      }
    } finally {
      await dropKeyspace(config, keyspaceFor(config, PAGEVIEWS_PRODUCT));
    }
  }
  return result;
}

export function pageviewsTable(r: PageviewsBenchResult): string {
  const f = (n: number, digits = 0) => n.toFixed(digits);
  const lines: string[] = [];
  if (r.l1) {
    lines.push(
      `L1 pageviews dumps → Cassandra (24 files × ${r.dumpLines} lines)`,
      `  loader:  ${r.l1.loader.rows} rows in ${f(r.l1.loader.seconds, 1)} s = ${f(r.l1.loader.rowsPerS)} rows/s`,
      `  ceiling: ${r.l1.ceiling.rows} plain inserts (${r.l1.ceiling.inFlight} in flight) in ${f(r.l1.ceiling.seconds, 1)} s = ${f(r.l1.ceiling.rowsPerS)} rows/s`,
      `  ratio loader/ceiling: ${f(r.l1.ratio, 2)} (target ≥ 0.50)`,
    );
  }
  if (r.l2)
    lines.push(
      `L2 pageviews dumps → embedded: ${r.l2.rows} rows in ${f(r.l2.seconds, 1)} s = ${f(r.l2.rowsPerS)} rows/s`,
    );
  if (r.q1) {
    lines.push(`Q1 topPages(first: 1000) of a day with ${r.q1.articles} articles, ms`);
    for (const [name, q] of [
      ['cassandra', r.q1.cassandra],
      ['embedded', r.q1.embedded],
    ] as const) {
      lines.push(
        `  ${name}: list p50 ${f(q.listP50, 2)} p99 ${f(q.listP99, 2)} | scan p50 ${f(q.scanP50, 1)} p99 ${f(q.scanP99, 1)} | scan/list p99 ${f(q.scanP99 / q.listP99, 1)}×`,
      );
    }
  }
  return lines.join('\n');
}
