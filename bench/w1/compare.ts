/**
 * Side-by-side W1 comparison used for the optimisation log (bench/README.md):
 * the W1 subgraphs in one process, stock Apollo (ApolloGateway + ApolloServer,
 * defaults) and the sdp gateway (`startGateway`) in one process each, then
 * autocannon against each gateway in turn (stock, sdp, stock, sdp, …) after
 * checking that both answer the W1 query with identical bytes.
 *
 *   node dist/bench/w1/compare.js [--connections 50] [--seconds 10] [--rounds 2] [--sdp <module>]
 *                                 [--sdp-node-args "<flags>"]
 *
 * `--sdp` names another build of `gateway/server` to measure as "sdp" (the
 * optimisation log compares earlier steps this way); default: this tree's.
 * `--sdp-node-args "<flags>"` starts the sdp gateway's process with extra
 * Node/V8 flags (stock keeps the defaults).
 *
 * Each gateway gets its own process so neither shares an event loop with the
 * other or with the subgraphs; the machine's cores are shared, which is why the
 * two are measured alternately in the same run and only the ratio is reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import pino from 'pino';
import { startGateway } from '../../gateway/server';
import { disableVendorTelemetry } from '../../platform/vendor-telemetry';
import { createGraphQLHandler, createHttpServer, listen, urlFor } from '../../platform/http';
import { startW1Subgraphs, W1_QUERY } from './index';

type Role = 'subgraphs' | 'stock' | 'sdp';

/** Runs one role in this process and prints one JSON line for the parent. */
async function serve(role: Role, sdlFile?: string, sdpModule?: string): Promise<void> {
  if (role === 'subgraphs') {
    const w1 = await startW1Subgraphs();
    const file = path.join(os.tmpdir(), `w1-supergraph-${process.pid}.graphql`);
    await writeFile(file, w1.supergraphSdl);
    console.log(JSON.stringify({ sdlFile: file }));
    return;
  }
  const supergraphSdl = await readFile(sdlFile as string, 'utf8');
  if (role === 'stock') {
    // Default settings but one: nothing leaves this machine (platform/vendor-telemetry.ts).
    disableVendorTelemetry();
    const apollo = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
    await apollo.start();
    const server = createHttpServer(createGraphQLHandler(apollo, { context: async () => ({}) }));
    console.log(JSON.stringify({ url: urlFor(await listen(server, 0, '127.0.0.1'), '/graphql') }));
    return;
  }
  const start: typeof startGateway = sdpModule
    ? ((await import(path.resolve(sdpModule))) as { startGateway: typeof startGateway }).startGateway
    : startGateway;
  const gateway = await start({ supergraphSdl, port: 0, host: '127.0.0.1', logger: pino({ level: 'warn' }) });
  console.log(JSON.stringify({ url: gateway.url }));
}

async function child(
  args: string[],
  nodeArgs: string[] = [],
): Promise<{ process: ChildProcess; line: Record<string, string> }> {
  const proc = spawn(process.execPath, [...process.execArgv, ...nodeArgs, __filename, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const [first] = (await once(lines, 'line')) as [string];
  return { process: proc, line: JSON.parse(first) as Record<string, string> };
}

interface Run {
  gateway: string;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** Gateway process CPU time (user + system) per answered request: robust when the machine is shared. */
  cpuMsPerRequest: number;
}

/** User + system CPU time of a process so far, in ms (Linux: /proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) (utime, stime), counted from after the command name.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function autocannon(
  url: string,
  connections: number,
  seconds: number,
): Promise<Omit<Run, 'gateway' | 'cpuMsPerRequest'> & { total: number }> {
  const cli = require.resolve('autocannon/autocannon.js');
  const proc = spawn(
    process.execPath,
    [
      cli,
      '-c',
      String(connections),
      '-d',
      String(seconds),
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-b',
      JSON.stringify({ query: W1_QUERY }),
      // A slow answer is measured, not dropped: the default 10 s timeout would
      // turn stock's tail into errors and flatter its p99.
      '-t',
      '120',
      '-j',
      url,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await once(proc, 'exit');
  const result = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const option = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const arg = (name: string, fallback: number) => Number(option(name) ?? fallback);
  const sdpModule = option('sdp');
  // Node/V8 flags for the sdp gateway's process only, e.g. `--max-semi-space-size=64`.
  const sdpNodeArgs = option('sdp-node-args')?.split(' ').filter(Boolean) ?? [];
  const connections = arg('connections', 50);
  const seconds = arg('seconds', 10);
  const rounds = arg('rounds', 2);
  const children: ChildProcess[] = [];
  let sdlFile: string | undefined;
  try {
    const subgraphs = await child(['subgraphs']);
    children.push(subgraphs.process);
    sdlFile = subgraphs.line.sdlFile as string;
    const stock = await child(['stock', sdlFile]);
    children.push(stock.process);
    const sdp = await child(['sdp', sdlFile, ...(sdpModule ? [sdpModule] : [])], sdpNodeArgs);
    children.push(sdp.process);
    const gateways = { stock: stock.line.url as string, sdp: sdp.line.url as string };
    const pids = { stock: stock.process.pid as number, sdp: sdp.process.pid as number };

    const bodies: Record<string, string> = {};
    for (const [name, url] of Object.entries(gateways)) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: W1_QUERY }),
      });
      bodies[name] = await response.text();
    }
    if (bodies.stock !== bodies.sdp) throw new Error('stock and sdp answer W1 differently; not measuring');
    console.log(
      `W1 answers identical (${bodies.stock?.length} bytes); ${connections} connections, ${seconds} s each`,
    );

    const runs: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [name, url] of Object.entries(gateways)) {
        // A short warm-up so JIT and connection pools are settled before measuring.
        await autocannon(url, connections, 2);
        const before = cpuMs(pids[name as keyof typeof pids]);
        const { total, ...measured } = await autocannon(url, connections, seconds);
        const cpu = cpuMs(pids[name as keyof typeof pids]) - before;
        const run: Run = {
          gateway: name,
          ...measured,
          cpuMsPerRequest: Math.round((cpu / total) * 100) / 100,
        };
        runs.push(run);
        console.log(JSON.stringify(run));
      }
    }
    const mean = (name: string, key: 'requestsPerSecond' | 'p99Ms' | 'cpuMsPerRequest') => {
      const mine = runs.filter((r) => r.gateway === name);
      return mine.reduce((sum, r) => sum + r[key], 0) / mine.length;
    };
    const rps = { stock: mean('stock', 'requestsPerSecond'), sdp: mean('sdp', 'requestsPerSecond') };
    const p99 = { stock: mean('stock', 'p99Ms'), sdp: mean('sdp', 'p99Ms') };
    const cpu = { stock: mean('stock', 'cpuMsPerRequest'), sdp: mean('sdp', 'cpuMsPerRequest') };
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    console.log(
      JSON.stringify({
        stock: { requestsPerSecond: rps.stock, p99Ms: p99.stock, cpuMsPerRequest: cpu.stock },
        sdp: { requestsPerSecond: rps.sdp, p99Ms: p99.sdp, cpuMsPerRequest: cpu.sdp },
        throughputRatio: ratio(rps.sdp, rps.stock),
        p99Ratio: ratio(p99.sdp, p99.stock),
        cpuPerRequestRatio: ratio(cpu.stock, cpu.sdp),
      }),
    );
  } finally {
    for (const proc of children) proc.kill();
    if (sdlFile) await rm(sdlFile, { force: true });
  }
}

const [role, sdlFile, sdpModule] = process.argv.slice(2);
if (role === 'subgraphs' || role === 'stock' || role === 'sdp') {
  serve(role, sdlFile, sdpModule).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
