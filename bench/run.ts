/**
 * `npm run bench`: the benchmark suite (not part of `npm test`). Starts
 * everything each workload needs, measures, stops everything, prints a table per
 * workload plus the targets, and writes every number to
 * bench/results/<timestamp>.json. Method and options: bench/README.md.
 *
 *   npm run bench -- [--only W1,W1P,W2,W3,W4,W4R,DC,L1,L2,Q1,R1] [--rounds N] [--duration S] [--warmup S]
 *                    [--dump-lines N] [--q1-articles N] [--r1-events N]
 *                    [--connections N] [--events N] [--wave N] [--freshness N] [--soak S] [--no-pin]
 *                    [--w4r-events N] [--w4r-before N] [--w4r-skip-alone] [--w4r-node-flags="<flags>"]
 *                    [--stock-node-flags="<flags>"]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoPath } from '../platform/paths';
import { canPin, pinSelf } from './lib/children';
import { runWithLauncherFlags } from './lib/node-flags';
import type { Comparison, LoadSettings } from './lib/compare';
import type { BenchContext } from './lib/context';
import { checkTargets, comparisonTable, soakTable, targetsTable, w4rTable, w4Table } from './lib/report';
import { demandTable, runDemand, type DemandResult } from './workloads/demand';
import { runSoak, type SoakResult } from './workloads/soak';
import { runW1, runW1Policy } from './workloads/w1';
import { runW2 } from './workloads/w2';
import { runW3 } from './workloads/w3';
import { runW4, type W4Result } from './workloads/w4';
import { runW4R, type W4RResult } from './workloads/w4r';
import { pageviewsTable, runPageviewsBench, type PageviewsBenchResult } from './workloads/pageviews';
import { r1Table, runR1, type R1Result } from './workloads/r1';

const WORKLOADS = ['W1', 'W1P', 'W2', 'W3', 'W4', 'W4R', 'DC', 'L1', 'L2', 'Q1', 'R1'] as const;
/** Run when `--only` is not given; the data-plane workloads (L1, L2, Q1, R1) take long and need Cassandra. */
const DEFAULT_WORKLOADS = ['W1', 'W1P', 'W2', 'W3', 'W4', 'W4R', 'DC'] as const;
const PAGEVIEWS_WORKLOADS: readonly string[] = ['L1', 'L2', 'Q1'];
type Workload = (typeof WORKLOADS)[number];

interface Options {
  only: Workload[];
  settings: LoadSettings;
  events: number;
  wave: number;
  freshness: number;
  w4r: { events: number; before: number; alone: boolean; platformNodeFlags: string[] };
  soakS: number;
  /** L1/L2: lines per generated hourly dump. */
  dumpLines: number;
  /** Q1: distinct articles of the ranked day. */
  q1Articles: number;
  /** R1: page_change events replayed. */
  r1Events: number;
  pin: boolean;
  /** Node flags for the stock gateway's process (default none: stock as shipped). */
  stockNodeFlags: string[];
}

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      events: { type: 'string' },
      wave: { type: 'string' },
      freshness: { type: 'string' },
      soak: { type: 'string' },
      'w4r-events': { type: 'string' },
      'w4r-before': { type: 'string' },
      'w4r-skip-alone': { type: 'boolean' },
      'w4r-node-flags': { type: 'string' },
      'dump-lines': { type: 'string' },
      'q1-articles': { type: 'string' },
      'r1-events': { type: 'string' },
      'no-pin': { type: 'boolean' },
      'stock-node-flags': { type: 'string' },
    },
    strict: true,
  });
  const only = (values.only ?? DEFAULT_WORKLOADS.join(','))
    .split(',')
    .map((w) => w.trim().toUpperCase())
    .filter(Boolean);
  const unknown = only.filter((w) => !(WORKLOADS as readonly string[]).includes(w));
  if (unknown.length > 0)
    throw new Error(`--only: unknown workload ${unknown.join(', ')}; known: ${WORKLOADS.join(', ')}`);
  return {
    only: only as Workload[],
    settings: {
      connections: positiveInt('connections', values.connections, 50),
      rounds: positiveInt('rounds', values.rounds, 3),
      durationS: positiveInt('duration', values.duration, 10),
      warmupS: positiveInt('warmup', values.warmup, 5, 0),
    },
    events: positiveInt('events', values.events, 100_000),
    wave: positiveInt('wave', values.wave, 4_000),
    freshness: positiveInt('freshness', values.freshness, 100),
    w4r: {
      events: positiveInt('w4r-events', values['w4r-events'], 40_000),
      before: positiveInt(
        'w4r-before',
        values['w4r-before'],
        Math.floor((positiveInt('w4r-events', values['w4r-events'], 40_000) * 9) / 10),
      ),
      alone: !values['w4r-skip-alone'],
      platformNodeFlags: (values['w4r-node-flags'] ?? '').split(/\s+/).filter(Boolean),
    },
    soakS: positiveInt('soak', values.soak, 0, 0),
    dumpLines: positiveInt('dump-lines', values['dump-lines'], 200_000),
    q1Articles: positiveInt('q1-articles', values['q1-articles'], 1_000_000),
    r1Events: positiveInt('r1-events', values['r1-events'], 200_000),
    pin: !values['no-pin'],
    stockNodeFlags: (values['stock-node-flags'] ?? '').split(/\s+/).filter(Boolean),
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

  // Two cores: the gateway under test gets core 0 to itself; subgraphs, the load
  // generator (this process) and Kafka share core 1. See bench/README.md.
  const pinned = options.pin && os.cpus().length >= 2 && canPin();
  if (pinned) pinSelf('1');
  else log('running unpinned (--no-pin, one CPU, or no taskset): numbers are noisier');

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sdp-bench-'));
  const ctx: BenchContext = {
    settings: options.settings,
    cpus: pinned ? { gateways: '0', others: '1' } : { gateways: undefined, others: undefined },
    workDir,
    stockNodeFlags: options.stockNodeFlags,
    log,
  };
  if (options.stockNodeFlags.length > 0)
    log(`stock gateway runs with: node ${options.stockNodeFlags.join(' ')}`);

  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const comparisons: Comparison[] = [];
  let w4: W4Result | undefined;
  let w4r: W4RResult | undefined;
  let soak: SoakResult | undefined;
  let pageviews: PageviewsBenchResult | undefined;
  let r1: R1Result | undefined;
  let demand: DemandResult | undefined;
  const failures: { workload: string; error: string }[] = [];
  const attempt = async (workload: string, run: () => Promise<void>) => {
    log(`${workload} …`);
    try {
      await run();
    } catch (error) {
      const message = (error as Error).stack ?? String(error);
      failures.push({ workload, error: message });
      log(`${workload} FAILED: ${message}`);
    }
  };

  try {
    for (const workload of options.only) {
      if (workload === 'W1') await attempt('W1', async () => void comparisons.push(...(await runW1(ctx))));
      if (workload === 'W1P') {
        await attempt('W1P', async () => void comparisons.push(...(await runW1Policy(ctx))));
      }
      if (workload === 'W2') await attempt('W2', async () => void comparisons.push(...(await runW2(ctx))));
      if (workload === 'W3') await attempt('W3', async () => void comparisons.push(...(await runW3(ctx))));
      if (workload === 'DC') await attempt('DC', async () => void (demand = await runDemand(ctx)));
      if (workload === 'W4')
        await attempt('W4', async () => {
          w4 = await runW4(ctx, {
            events: options.events,
            waveEvents: options.wave,
            freshnessSamples: options.freshness,
          });
        });
      if (workload === 'W4R') await attempt('W4R', async () => void (w4r = await runW4R(ctx, options.w4r)));
    }
    const dataPlane = options.only.filter((w) => PAGEVIEWS_WORKLOADS.includes(w));
    if (dataPlane.length > 0)
      await attempt(dataPlane.join(','), async () => {
        pageviews = await runPageviewsBench(ctx, {
          only: dataPlane,
          dumpLines: options.dumpLines,
          q1Articles: options.q1Articles,
        });
      });
    if (options.only.includes('R1'))
      await attempt('R1', async () => void (r1 = await runR1(ctx, options.r1Events)));
    if (options.soakS > 0) await attempt('soak', async () => void (soak = await runSoak(ctx, options.soakS)));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const targets = checkTargets(comparisons, w4, soak, w4r);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    /** This process's Node flags (the launcher's, see bench/lib/node-flags.ts): W4 ingests here. */
    nodeFlags: process.execArgv,
    pinned,
    loadAverageBefore: loadBefore,
    loadAverageAfter: os.loadavg(),
  };
  const result = {
    startedAt: startedAt.toISOString(),
    machine,
    options,
    comparisons,
    w4,
    w4r,
    soak,
    pageviews,
    r1,
    demand,
    targets,
    failures,
  };
  const resultsDir = repoPath('bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');

  const sections = [
    ...comparisons.map(comparisonTable),
    ...(w4 ? [w4Table(w4)] : []),
    ...(w4r ? [w4rTable(w4r)] : []),
    ...(soak ? [soakTable(soak)] : []),
    ...(pageviews ? [pageviewsTable(pageviews)] : []),
    ...(r1 ? [r1Table(r1)] : []),
    ...(demand ? [demandTable(demand)] : []),
    targetsTable(targets),
    `machine: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, ${pinned ? 'pinned' : 'unpinned'}, ` +
      `load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ` +
      `${machine.loadAverageAfter.map((l) => l.toFixed(1)).join(' ')} after`,
    ...failures.map((f) => `FAILED ${f.workload}: ${f.error.split('\n', 1)[0]}`),
    `results: ${path.relative(process.cwd(), file)}`,
  ].filter(Boolean);
  process.stdout.write('\n' + sections.join('\n\n') + '\n');
  return failures.length > 0 ? 1 : 0;
}

runWithLauncherFlags()
  .then((code) => code ?? main())
  .then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`bench: ${(error as Error).message}\n`);
      process.exit(2);
    },
  );
