/**
 * Host process for W4: the platform (`startPlatform`, as `sdp start` runs it)
 * with the `pages` product only, on the Kafka cluster and MariaDB database the
 * SDP_* environment names. Other products consume page_change too (users, edit
 * stats); running them here would charge their work to the pages ingest that
 * W4 measures. Reports the gateway URL once up.
 */
import { loadConfig } from '../../config/env';
import { createLogger } from '../../platform/logger';
import { loadProducts } from '../../platform/products';
import { startPlatform } from '../../platform/start';
import { runHost } from './host';

void runHost(async () => {
  const config = loadConfig();
  const platform = await startPlatform({
    config,
    logger: createLogger(config.logLevel),
    products: loadProducts().filter((p) => p.name === 'pages'),
  });
  return { ready: { gatewayUrl: platform.gatewayUrl }, stop: () => platform.stop() };
});
