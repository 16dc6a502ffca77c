/**
 * Host process for W4R (ingest as users run it): the platform (`startPlatform`,
 * as `sdp start` runs it) on the Kafka cluster, MariaDB database and topic
 * prefix the SDP_* environment names. Every product runs unless
 * BENCH_PRODUCTS names some (comma-separated): the benchmark starts each
 * page_change product alone too, for its own figure beside the whole platform's.
 * Reports the gateway URL once up.
 */
import { loadConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { loadProducts } from '../../platform/products';
import { startPlatform } from '../../platform/start';
import { runHost } from './host';

void runHost(async () => {
  const config = loadConfig();
  const only = process.env.BENCH_PRODUCTS?.split(',').filter(Boolean);
  const products = loadProducts().filter((p) => !only || only.includes(p.name));
  if (only && products.length !== only.length)
    throw new Error(`BENCH_PRODUCTS names unknown products: ${only.join(',')}`);
  const platform = await startPlatform({ config, logger: createLogger(config.logLevel), products });
  // When each consumer had joined and was fetching: the benchmark times each product from there.
  const ingests = platform.products.flatMap((p) =>
    p.ingests.map((i, n) => ({
      product: p.product.name,
      stream: p.product.streams[n]!.stream,
      startedAt: i.stats().startedAt,
    })),
  );
  return { ready: { gatewayUrl: platform.gatewayUrl, ingests }, stop: () => platform.stop() };
});
