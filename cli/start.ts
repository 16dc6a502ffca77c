/** `sdp start`: the whole platform in one process, until SIGINT/SIGTERM. */
import type { Writable } from 'node:stream';
import { loadConfig } from '../config/env';
import { createLogger, resolveLogFormat } from '../platform/logger';
import { startPlatform, type Platform } from '../platform/start';

export const USAGE = [
  'usage: sdp start',
  '',
  'Starts the whole platform in this process: every product (store, subgraph, ingest), the',
  'gateway over them, and the demo feeder with the embedded event log. Runs until Ctrl-C',
  '(SIGINT) or SIGTERM. SDP_* variables choose the servers (see README.md); with none set,',
  'everything is embedded.',
].join('\n');

/** What `sdp start` prints once everything is up: where to go, and what runs on what. */
export function banner(platform: Platform, demo: boolean): string {
  return [
    '',
    'sdp is up',
    `  GraphQL   ${platform.gatewayUrl}/graphql`,
    `  GraphiQL  ${platform.gatewayUrl}/`,
    `  health    ${platform.gatewayUrl}/health   ready ${platform.gatewayUrl}/ready`,
    ...platform.products.map(
      (p) => `  subgraph  ${p.product.name.padEnd(10)} ${p.url}   store: ${p.store.description}`,
    ),
    `  events    ${platform.log.description}${demo ? ' (demo feeder on)' : ''}`,
    `  keys      ${platform.access.keyStore}   audit: ${platform.access.audit}`,
    '',
    'Anonymous callers get public fields only; personal data (names of editors, block reasons) needs a key:',
    '  npx sdp keys create --name demo --scopes pii:read',
    `  curl -s ${platform.gatewayUrl}/graphql -H "authorization: Bearer <key>" -H 'content-type: application/json' \\`,
    `    -d '{"query":"{ user(wikiId:\\"enwiki\\", name:\\"Tobias Brennan\\") { name block { expiry } } }"}'`,
    '  npx sdp audit tail      (who read which personal data; see README "Access and policy")',
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}

export async function startCommand(
  argv: string[],
  env = process.env,
  stdout: Writable = process.stdout,
): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write(`sdp start: unexpected argument ${JSON.stringify(argv[0])}\n\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, { format: config.logFormat });
  const platform = await startPlatform({ config, logger });
  // Last, once everything is up: for people, the banner; for log collectors, one line with the same facts.
  if (resolveLogFormat(config.logFormat, 1) === 'pretty') {
    stdout.write(banner(platform, config.demo) + '\n');
  } else {
    logger.info(
      {
        graphql: `${platform.gatewayUrl}/graphql`,
        subgraphs: Object.fromEntries(
          platform.products.map((p) => [p.product.name, { url: p.url, store: p.store.description }]),
        ),
        events: platform.log.description,
        demo: config.demo,
        keys: platform.access.keyStore,
        audit: platform.access.audit,
      },
      'sdp is up',
    );
  }

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
