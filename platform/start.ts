/**
 * Starts the whole platform in one process: every product's store, subgraph and
 * stream ingest, the federated gateway over them, and (when asked) the demo
 * feeder. `npm start` runs this with embedded defaults; SDP_MARIADB_URL and
 * SDP_KAFKA_BROKERS swap in real servers without any other change.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { topicFor, type SdpConfig } from '../config/env';
import { startDemoFeeder } from '../demo/feeder';
import { openGatewayAccess } from '../gateway/access';
import { startGateway } from '../gateway/server';
import { createEventLog } from '../streams';
import { startIngest, type IngestHandle } from '../streams/ingest';
import { loadEventSchemas } from '../streams/schemas';
import { SharedAdmission } from '../streams/shared-admission';
import type { EventLog } from '../streams/port';
import { repoPath } from './paths';
import type { DataProduct, ProductStore } from './product';
import { loadProducts, subgraphPort } from './products';
import { startSubgraphServer } from './subgraph-server';

export interface RunningProduct {
  product: DataProduct;
  store: ProductStore;
  url: string;
  ingests: IngestHandle[];
}

export interface Platform {
  /** Gateway base URL, e.g. `http://127.0.0.1:4000` (GraphQL at `/graphql`). */
  gatewayUrl: string;
  /** Where API keys and the audit stream are kept. */
  access: { keyStore: string; audit: string };
  log: EventLog;
  products: RunningProduct[];
  stop(): Promise<void>;
}

export interface StartOptions {
  config: SdpConfig;
  logger: Logger;
  /** Products to run; default: every folder under subgraphs/. */
  products?: DataProduct[];
  /** Composed supergraph; default: schema/supergraph.graphql. */
  supergraphSdl?: string;
}

/** Consumer group of one product's ingest of one stream. */
export function consumerGroup(config: SdpConfig, product: string, stream: string): string {
  return `${config.consumerGroupPrefix}.${product}.${stream}`;
}

/** What GraphiQL opens with: each product's example operation under its description. */
function graphiqlWelcome(products: DataProduct[]): string {
  const comment = (text: string) => text.replace(/(.{1,76})(\s+|$)/g, '# $1\n');
  return [
    comment(
      'Shared Data Platform: one graph over every data product. Pick an operation and press run; the schema is in the Docs panel.',
    ),
    ...products.map((p) => `${comment(`${p.name}: ${p.description}`)}${p.exampleQuery}\n`),
  ].join('\n');
}

export async function startPlatform(options: StartOptions): Promise<Platform> {
  const { config, logger } = options;
  const products = options.products ?? loadProducts();
  const supergraphSdl =
    options.supergraphSdl ?? readFileSync(repoPath('schema', 'supergraph.graphql'), 'utf8');
  const schemas = loadEventSchemas();
  // Products reading one stream parse and validate each event once between them.
  const sharedAdmission = new SharedAdmission(schemas);
  // The gateway signs every subgraph call with it (platform/assertion.ts). One
  // process runs both ends, so unless the deployment shares one
  // (SDP_SUBGRAPH_SECRET), a fresh random secret per start does: nothing
  // outside this process can then call a subgraph.
  const subgraphSecret = config.access.subgraphSecret ?? randomBytes(32).toString('hex');
  const log = createEventLog(config, logger);
  const running: RunningProduct[] = [];
  const stoppers: (() => Promise<void>)[] = [() => log.close()];
  const stopAll = async () => {
    // Reverse start order: feeder and gateway first, the log last.
    for (const stop of stoppers.splice(0).reverse()) {
      await stop().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    }
  };

  try {
    const opened: { product: DataProduct; store: ProductStore; url: string; logger: Logger }[] = [];
    for (const product of products) {
      const plog = logger.child({ product: product.name });
      const store = await product.openStore({ config, logger: plog });
      stoppers.push(() => store.close());
      const subgraph = await startSubgraphServer(product, store, {
        port: subgraphPort(product, config.subgraphPortBase),
        host: config.access.subgraphHost,
        logger: plog,
        secret: subgraphSecret,
      });
      stoppers.push(() => subgraph.stop());
      opened.push({ product, store, url: subgraph.url, logger: plog });
    }

    // Every consumer joins its group at the same time: a Kafka group join takes
    // seconds (≈ 3 s on the test cluster), so one after another made start-up
    // 18 s with five consumers (W4R), and the first products ran through a
    // backlog alone while the others were still joining.
    const starting = opened.flatMap(({ product, store, logger: plog }) =>
      product.streams.map(async (binding) => {
        const topic = topicFor(config, binding.stream);
        const ingest = await startIngest({
          log,
          schemas,
          binding,
          store,
          groupId: consumerGroup(config, product.name, binding.stream),
          topic,
          logger: plog.child({ stream: binding.stream }),
          // An embedded store starts empty: committed offsets would skip the
          // events whose state died with the previous process.
          startFrom: store.durable ? 'earliest' : { offsets: {} },
          sharedAdmission,
        }).catch((err: unknown) => {
          throw new Error(`${product.name}: cannot consume ${topic} from ${log.description}`, { cause: err });
        });
        stoppers.push(() => ingest.stop());
        return { product, ingest };
      }),
    );
    const started = await Promise.allSettled(starting);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const { product, store, url, logger: plog } of opened) {
      const ingests = started.flatMap((s) =>
        s.status === 'fulfilled' && s.value.product === product ? [s.value.ingest] : [],
      );
      plog.info({ store: store.description, url }, `product ${product.name} up`);
      running.push({ product, store, url, ingests });
    }

    const access = await openGatewayAccess({ config, logger, log, subgraphSecret });
    stoppers.push(() => access.close());
    const gateway = await startGateway({
      supergraphSdl,
      subgraphUrls: Object.fromEntries(running.map((r) => [r.product.name, r.url])),
      port: config.port,
      host: config.host,
      logger: logger.child({ component: 'gateway' }),
      graphiqlDefaultQuery: graphiqlWelcome(running.map((r) => r.product)),
      access: access.access,
      demand: config.demand,
    });
    stoppers.push(() => gateway.stop());

    if (config.demo) {
      const feeder = await startDemoFeeder({
        log,
        config,
        logger: logger.child({ component: 'demo-feeder' }),
        rate: config.demoRate,
        schemas,
      });
      stoppers.push(() => feeder.stop());
    }

    return {
      gatewayUrl: gateway.baseUrl,
      access: { keyStore: access.keyStore, audit: access.audit },
      log,
      products: running,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
