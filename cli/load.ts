/**
 * `sdp load <product> <file>...`: bulk-loads files into a product's store
 * through the product's own loader (`DataProduct.loader`), e.g. Wikimedia's
 * hourly pageviews dumps into `pageviews`. This command names no product: it
 * opens the store the configuration selects, shows progress over the bytes
 * read (on a terminal), and prints the loader's summary with its rate.
 *
 * Exit codes: 0 loaded (skipped records are reported, not failures); 1 the load
 * failed part-way (loaders are idempotent: run it again) or the store's server
 * cannot be reached; 2 usage, configuration or unusable input, such as a
 * badly named file (nothing loaded).
 */
import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { findUnreachable } from '../config/unreachable';
import { createLogger } from '../platform/logger';
import { LoadInputError, type DataProduct, type LoadSummary } from '../platform/product';
import { loadProducts } from '../platform/products';
import { describeError } from './sdp';
import { commandConfig } from './config';

export interface LoadIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
}

const DEFAULT_MEMORY_MB = 512;
const MIN_MEMORY_MB = 16;
const MAX_MEMORY_MB = 65536;

/** `--memory MB` (or `--memory=MB`) taken out of the arguments; an error message when its value is bad. */
function takeMemory(argv: string[]): { rest: string[]; mb: number } | { error: string } {
  const rest: string[] = [];
  let mb = DEFAULT_MEMORY_MB;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg !== '--memory' && !arg.startsWith('--memory=')) {
      rest.push(arg);
      continue;
    }
    const raw = arg === '--memory' ? argv[++i] : arg.slice('--memory='.length);
    const n = Number(raw);
    if (raw === undefined || !/^\d+$/.test(raw) || n < MIN_MEMORY_MB || n > MAX_MEMORY_MB)
      return {
        error: `--memory must be a whole number of MB between ${MIN_MEMORY_MB} and ${MAX_MEMORY_MB}, got ${JSON.stringify(raw ?? '')}`,
      };
    mb = n;
  }
  return { rest, mb };
}

/** `sdp load --help`. */
export function loadUsage(products: DataProduct[] = loadProducts()): string {
  const loadable = products.filter((p) => p.loader);
  return [
    'usage: sdp load <product> [--memory MB] <file>...',
    '',
    'Loads the files into the product’s store (SDP_* variables select it, as for `sdp start`).',
    'Loading the same file again leaves the store unchanged.',
    `--memory MB: memory for the input gathered at a time (default ${DEFAULT_MEMORY_MB}, ${MIN_MEMORY_MB}–${MAX_MEMORY_MB});`,
    '  a loader that gathers (pageviews: a day at a time) spills to temporary files beyond it.',
    '',
    'Products that can be loaded:',
    ...loadable.map((p) => `  ${p.name}: ${p.loader!.accepts}`),
  ].join('\n');
}

function formatSummary(summary: LoadSummary, files: number, store: string, seconds: number): string {
  const skipped = Object.entries(summary.skipped).sort(([a], [b]) => a.localeCompare(b));
  const skippedTotal = skipped.reduce((n, [, count]) => n + count, 0);
  const rate = seconds > 0 ? Math.round(summary.rows / seconds) : summary.rows;
  return [
    `loaded ${files} file(s) into ${store} in ${seconds.toFixed(1)} s`,
    `  records read:  ${summary.records}`,
    `  rows written:  ${summary.rows} (${rate} rows/s)`,
    `  skipped:       ${skippedTotal}`,
    ...skipped.map(([reason, count]) => `    ${reason}: ${count}`),
  ].join('\n');
}

export async function loadCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: LoadIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const out = (text: string) => io.stdout.write(text + '\n');
  const err = (text: string) => io.stderr.write(text + '\n');
  const products = loadProducts();

  if (argv.includes('-h') || argv.includes('--help')) {
    out(loadUsage(products));
    return 0;
  }
  const memory = takeMemory(argv);
  if ('error' in memory) {
    err(`sdp load: ${memory.error}\n\n${loadUsage(products)}`);
    return 2;
  }
  const [name, ...files] = memory.rest;
  if (!name || files.length === 0) {
    const problem = name ? `missing the file(s) to load into ${name}` : 'missing the product and the file(s)';
    err(`sdp load: ${problem}\n\n${loadUsage(products)}`);
    return 2;
  }
  const product = products.find((p) => p.name === name);
  if (!product) {
    err(`sdp load: unknown product "${name}"\n\n${loadUsage(products)}`);
    return 2;
  }
  const loader = product.loader;
  if (!loader) {
    err(`sdp load: product "${name}" has no bulk loader\n\n${loadUsage(products)}`);
    return 2;
  }

  const config = commandConfig('load', env, err);
  if (!config) return 2;
  let totalBytes = 0;
  for (const file of files) {
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a regular file');
      totalBytes += info.size;
    } catch (e) {
      err(`sdp load: cannot read ${file}: ${(e as Error).message}`);
      return 2;
    }
  }

  // Logs go to stderr, quiet unless asked: stdout carries the summary, stderr the progress bar.
  const level = env.SDP_LOG_LEVEL ? config.logLevel : 'warn';
  const logger = createLogger(level, { name: 'sdp-load', format: config.logFormat, fd: 2 });
  let store;
  try {
    store = await product.openStore({ config, logger: logger.child({ product: product.name }) });
  } catch (e) {
    if (!findUnreachable(e)) throw e;
    err(`sdp load: nothing loaded: ${describeError(e, env)}`);
    return 1;
  }
  if (!store.durable) {
    err(
      `sdp load: warning: ${product.name} uses ${store.description}; what is loaded is gone when this command ` +
        'exits (useful only to check files). Configure its server (see README.md) to keep it.',
    );
  }
  const bar = io.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: io.stderr,
          format: `${product.name} {bar} {percentage}% | {mb}/{totalMb} MB | ETA {eta_formatted}`,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  let read = 0;
  bar?.start(totalBytes, 0, { mb: mb(0), totalMb: mb(totalBytes) });

  const started = performance.now();
  try {
    const summary = await loader.load(store, files, {
      logger,
      memoryBytes: memory.mb * 1024 * 1024,
      onBytes: (bytes) => {
        read += bytes;
        bar?.update(read, { mb: mb(read) });
      },
    });
    bar?.stop();
    out(formatSummary(summary, files.length, store.description, (performance.now() - started) / 1000));
    return 0;
  } catch (e) {
    bar?.stop();
    // Files that cannot be loaded as given are refused before anything is written: a usage error.
    if (e instanceof LoadInputError) {
      err(`sdp load: ${e.message}; nothing was loaded`);
      return 2;
    }
    err(
      `sdp load: ${describeError(e, env)}\nNothing is lost by running the same command again: loads are idempotent.`,
    );
    return 1;
  } finally {
    await store.close();
  }
}
