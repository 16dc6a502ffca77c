/**
 * `npm run bench`: the benchmark suite (not part of `npm test`). Starts
 * everything each workload needs, measures, stops everything, prints a table per
 * workload plus the targets, and writes every number to
 * bench/results/<timestamp>.json. Method and options: bench/README.md.
 *
 *   npm run bench -- [--only W1,W2,W3,W4,DC] [--rounds N] [--duration S] [--warmup S]
 *                    [--connections N] [--events N] [--wave N] [--freshness N] [--soak S] [--no-pin]
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
import { checkTargets, comparisonTable, soakTable, targetsTable, w4Table } from './lib/report';
import { demandTable, runDemand, type DemandResult } from './workloads/demand';
import { runSoak, type SoakResult } from './workloads/soak';
import { runW1 } from './workloads/w1';
import { runW2 } from './workloads/w2';
import { runW3 } from './workloads/w3';
import { runW4, type W4Result } from './workloads/w4';

const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'DC'] as const;
type Workload = (typeof WORKLOADS)[number];

interface Options {
  only: Workload[];
  settings: LoadSettings;
  events: number;
  wave: number;
  freshness: number;
  soakS: number;
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
      'no-pin': { type: 'boolean' },
      'stock-node-flags': { type: 'string' },
    },
    strict: true,
  });
  const only = (values.only ?? WORKLOADS.join(','))
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
    soakS: positiveInt('soak', values.soak, 0, 0),
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
  let soak: SoakResult | undefined;
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
    }
    if (options.soakS > 0) await attempt('soak', async () => void (soak = await runSoak(ctx, options.soakS)));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const targets = checkTargets(comparisons, w4, soak);
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
    soak,
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
    ...(soak ? [soakTable(soak)] : []),
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
