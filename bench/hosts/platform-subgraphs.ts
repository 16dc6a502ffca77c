/**
 * Host process for W2: the platform's own data products, every one discovered
 * under subgraphs/, each with its embedded store, fed by the demo feeder's
 * examples and initial burst through the embedded event log, exactly as
 * `npm start` runs them (the platform's own gateway runs too, idle). It reports
 * ready once every product's ingest has caught up with its streams, and writes
 * schema/supergraph.graphql with the subgraphs' real URLs to the file given as
 * the only argument.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, topicFor } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { repoPath } from '../../platform/paths';
import { startPlatform, type Platform } from '../../platform/start';
import { withRoutingUrls } from '../lib/supergraph';
import { runHost } from './host';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: platform-subgraphs <supergraph-output-file>');

/** True when every ingest has handled every message its topic held when asked. */
async function caughtUp(platform: Platform): Promise<boolean> {
  for (const running of platform.products) {
    for (const [i, binding] of running.product.streams.entries()) {
      const ingest = running.ingests[i];
      if (!ingest) return false;
      const handled = new Map(ingest.stats().positions.map((p) => [p.partition, BigInt(p.offset)]));
      for (const p of await platform.log.offsets(topicFor(config, binding.stream))) {
        if (BigInt(p.high) > BigInt(p.low) && (handled.get(p.partition) ?? 0n) < BigInt(p.high)) return false;
      }
    }
  }
  return true;
}

// Built from nothing but these values: the benchmark's own SDP_* environment must not leak in,
// except the subgraph secret the benchmark shares with both gateways (bench/lib/graph.ts).
const config = loadConfig({
  SDP_PORT: '0',
  SDP_SUBGRAPH_PORT_BASE: '0',
  SDP_DEMO: '1',
  SDP_DEMO_RATE: '0',
  SDP_LOG_LEVEL: 'warn',
  SDP_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sdp-bench-platform-')),
  SDP_SUBGRAPH_SECRET: process.env.SDP_SUBGRAPH_SECRET,
});

void runHost(async () => {
  const platform = await startPlatform({ config, logger: createLogger(config.logLevel) });
  try {
    const deadline = Date.now() + 60_000;
    while (!(await caughtUp(platform))) {
      if (Date.now() > deadline) throw new Error('the products did not ingest the demo events within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const urls = Object.fromEntries(platform.products.map((p) => [p.product.name, p.url]));
    const supergraph = withRoutingUrls(readFileSync(repoPath('schema', 'supergraph.graphql'), 'utf8'), urls);
    writeFileSync(file, supergraph);
    return { ready: { supergraphFile: file, urls }, stop: () => platform.stop() };
  } catch (error) {
    await platform.stop();
    throw error;
  }
});
