/** `sdp start`: the whole platform in one process, until SIGINT/SIGTERM. */
import { loadConfig } from '../config/env';
import { createLogger } from '../platform/logger';
import { startPlatform } from '../platform/start';

export async function startCommand(_argv: string[], env = process.env): Promise<number> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const platform = await startPlatform({ config, logger });
  const lines = [
    '',
    'sdp is up',
    `  GraphQL   ${platform.gatewayUrl}/graphql`,
    `  GraphiQL  ${platform.gatewayUrl}/`,
    `  health    ${platform.gatewayUrl}/health   ready ${platform.gatewayUrl}/ready`,
    ...platform.products.map(
      (p) => `  subgraph  ${p.product.name.padEnd(10)} ${p.url}   store: ${p.store.description}`,
    ),
    `  events    ${platform.log.description}${config.demo ? ' (demo feeder on)' : ''}`,
    `  keys      ${platform.access.keyStore}   audit: ${platform.access.audit}`,
    '',
    'Anonymous callers get public fields only; personal data (names of editors, block reasons) needs a key:',
    '  npx sdp keys create --name demo --scopes pii:read',
    `  curl -s ${platform.gatewayUrl}/graphql -H "authorization: Bearer <key>" -H 'content-type: application/json' \\`,
    `    -d '{"query":"{ user(wikiId:\\"enwiki\\", name:\\"Tobias Brennan\\") { name block { expiry } } }"}'`,
    '  npx sdp audit tail      (who read which personal data; see README "Access and policy")',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      platform.stop().then(resolve, (err: unknown) => {
        logger.error({ err }, 'stop failed');
        resolve();
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  return 0;
}
