/**
 * `sdp rebuild <product> --from earliest`: recomputes a product's store from
 * the retained Kafka log (platform/rebuild.ts says how and why it is safe).
 * Stop the platform first: the rebuild consumes as the product's own consumer
 * group.
 *
 * Exit codes: 0 rebuilt; 1 the rebuild failed (rerun it, or start the
 * platform, which resumes from where it got); 2 usage or configuration error
 * (nothing was touched).
 */
import type { Writable } from 'node:stream';
import { loadConfig } from '../config/env';
import { findUnreachable } from '../config/unreachable';
import { describeError } from './sdp';
import { createLogger } from '../platform/logger';
import type { DataProduct } from '../platform/product';
import { loadProducts } from '../platform/products';
import { rebuildProduct } from '../platform/rebuild';
import { createEventLog } from '../streams';
import { commandConfig } from './config';

export interface RebuildIo {
  stdout: Writable;
  stderr: Writable;
}

/**
 * The products whose store can be reset, and so rebuilt. Asked of each
 * product's embedded store (in memory: no server is contacted), which offers
 * `reset` exactly when the product's port does.
 */
export async function rebuildableProducts(products: DataProduct[] = loadProducts()): Promise<string[]> {
  const config = loadConfig({});
  const logger = createLogger('silent', { format: 'json' });
  const names: string[] = [];
  for (const product of products) {
    const store = await product.openStore({ config, logger });
    try {
      if (store.reset) names.push(product.name);
    } finally {
      await store.close();
    }
  }
  return names;
}

/** `sdp rebuild --help`. */
export async function rebuildUsage(rebuildable?: string[]): Promise<string> {
  return [
    'usage: sdp rebuild <product> --from earliest',
    '',
    "Resets the product's store and replays every stream it consumes from the earliest",
    'retained offset on SDP_KAFKA_BROKERS, up to the log end at start; then normal ingest',
    'resumes from there. Stop the platform first.',
    `Products that can be rebuilt: ${(rebuildable ?? (await rebuildableProducts())).join(', ')}`,
  ].join('\n');
}

export async function rebuildCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: RebuildIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const out = (text: string) => io.stdout.write(text + '\n');
  const err = (text: string) => io.stderr.write(text + '\n');
  const products = loadProducts();
  const names = products.map((p) => p.name);
  if (argv.includes('-h') || argv.includes('--help')) {
    out(await rebuildUsage(await rebuildableProducts(products)));
    return 0;
  }
  const [name, flag, from, ...extra] = argv;
  const problem =
    name === undefined || name.startsWith('-')
      ? 'which product? Name it first'
      : flag === undefined
        ? '--from earliest is required (the only start there is: the whole retained log)'
        : flag !== '--from'
          ? `unexpected argument ${JSON.stringify(flag)}`
          : extra.length > 0
            ? `unexpected argument ${JSON.stringify(extra[0])}`
            : undefined;
  if (problem) {
    err(`sdp rebuild: ${problem}\n\n${await rebuildUsage(await rebuildableProducts(products))}`);
    return 2;
  }
  if (from !== 'earliest') {
    err(
      `sdp rebuild: --from ${JSON.stringify(from ?? '')} is not supported; only --from earliest ` +
        '(the whole retained log: anything less would rebuild a store missing the older events)',
    );
    return 2;
  }
  const product = products.find((p) => p.name === name);
  if (!product) {
    err(`sdp rebuild: unknown product "${name}"; products: ${names.join(', ')}`);
    return 2;
  }
  const rebuildable = await rebuildableProducts([product]);
  if (rebuildable.length === 0) {
    err(
      `sdp rebuild: ${product.name} cannot be rebuilt: its store cannot be reset; ` +
        `products that can: ${(await rebuildableProducts(products)).join(', ')}`,
    );
    return 2;
  }

  const config = commandConfig('rebuild', env, err);
  if (!config) return 2;
  if (!config.kafkaBrokers) {
    err(
      'sdp rebuild: SDP_KAFKA_BROKERS is not set. The embedded event log lives inside the `sdp start` process, ' +
        'so there is no log to replay from here (and an embedded store is rebuilt from it on every start anyway).',
    );
    return 2;
  }

  // Logs go to stderr: stdout carries the command's own report.
  const logger = createLogger(config.logLevel, { name: 'sdp-rebuild', format: config.logFormat, fd: 2 });
  let store;
  try {
    store = await product.openStore({ config, logger: logger.child({ product: product.name }) });
  } catch (e) {
    // Nothing was reset: the store could not even be opened.
    if (!findUnreachable(e)) throw e;
    err(`sdp rebuild: nothing was reset: ${describeError(e, env)}`);
    return 1;
  }
  try {
    if (!store.durable) {
      err(
        `sdp rebuild: ${product.name} uses its ${store.description} store, which lives in the \`sdp start\` process ` +
          'and is rebuilt from the log on every start. Configure its real store (see README) to rebuild that one.',
      );
      return 2;
    }
    if (!store.reset) {
      err(`sdp rebuild: ${product.name} cannot be rebuilt: its store (${store.description}) cannot be reset`);
      return 2;
    }
    const log = createEventLog(config, logger);
    try {
      out(
        `rebuilding ${product.name} (${store.description}) from ${log.description}, from the earliest offsets`,
      );
      const result = await rebuildProduct({ product, store, log, config, logger });
      for (const s of result.streams) {
        out(
          `  ${s.topic}: applied ${s.applied} event(s), dead-lettered ${s.deadLettered}, up to ` +
            `${JSON.stringify(s.target)}; group ${s.groupId} now at ${JSON.stringify(s.committed)}`,
        );
      }
      out(`rebuilt ${product.name} in ${(result.durationMs / 1000).toFixed(1)} s`);
      return 0;
    } catch (e) {
      // The first contact with Kafka is taking the log end offsets, which rebuildProduct
      // does before it resets the store: a Kafka that cannot be reached leaves the store as it was.
      err(
        findUnreachable(e)
          ? `sdp rebuild: nothing was reset: ${describeError(e, env)}`
          : `sdp rebuild: ${describeError(e, env)}`,
      );
      return 1;
    } finally {
      await log.close();
    }
  } finally {
    await store.close();
  }
}
