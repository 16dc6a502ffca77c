/**
 * Serves one data product as a federation subgraph: its SDL from `schema/`, its
 * resolvers, a fresh context per request. The gateway is its only intended
 * client, but it is plain GraphQL over HTTP, so it can be queried directly too.
 */
import { readFile } from 'node:fs/promises';
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ClientDisconnected, RequestDeadlineExceeded, subgraphRequestDeadline } from './deadline';
import { close, createGraphQLHandler, createHttpServer, listenOrStop, sendJson, urlFor } from './http';
import type { DataProduct, ProductStore } from './product';

export interface SubgraphServerOptions {
  port: number;
  host: string;
  logger: Logger;
  maxBodyBytes?: number;
}

export interface RunningSubgraph {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
  /** Stops serving; the store stays open, it belongs to the caller. */
  stop(): Promise<void>;
}

/**
 * Decides what a client may see of an error. Errors a resolver throws on purpose
 * are `GraphQLError`s (bad input, not found, …) and are shown as they are, as are
 * the parse and validation errors Apollo raises. Anything else is a bug or an
 * infrastructure failure (a SQL error, a refused connection) whose message can
 * name hosts, tables or values: it is logged in full here and replaced by a
 * generic message, keeping `path` so the client knows which field failed.
 * In development the original message is kept, for the person debugging.
 */
export function maskSubgraphError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  development = process.env.NODE_ENV === 'development',
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof GraphQLError || development) return formatted;
  // A request stopped at its deadline or by its caller leaving is not a failure of ours.
  if (original instanceof RequestDeadlineExceeded || original instanceof ClientDisconnected) {
    logger.debug({ reason: original.message, path: formatted.path }, 'resolver stopped');
  } else {
    logger.error({ err: original, path: formatted.path }, 'resolver failed');
  }
  return {
    message: 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

export async function startSubgraphServer<TStore extends ProductStore, TContext extends object>(
  product: DataProduct<TStore, TContext>,
  store: TStore,
  options: SubgraphServerOptions,
): Promise<RunningSubgraph> {
  const logger = options.logger.child({ component: 'subgraph-server', subgraph: product.name });
  const sdl = await readFile(product.sdlPath, 'utf8');
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: product.resolvers }]);
  const development = process.env.NODE_ENV === 'development';

  const apollo = new ApolloServer<TContext>({
    schema,
    logger,
    // Apollo's default is "on unless NODE_ENV is production or test"; stack
    // traces must be opt-in, never the result of an unset variable.
    includeStacktraceInErrorResponses: development,
    formatError: (formatted, error) => maskSubgraphError(formatted, error, logger, development),
    // The default landing page loads Apollo Sandbox from a CDN; subgraphs have no UI.
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();

  const graphql = createGraphQLHandler(apollo, {
    context: async (req, res) => product.context(store, subgraphRequestDeadline(req, res)),
    maxBodyBytes: options.maxBodyBytes,
    logger,
  });
  const server = createHttpServer(async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/graphql') return graphql(req, res);
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, { status: 'ok', subgraph: product.name });
    }
    sendJson(res, 404, { error: 'not found', routes: ['/graphql', '/health'] });
  }, logger);

  const address = await listenOrStop(server, options.port, options.host, () => apollo.stop());
  const url = urlFor(address, '/graphql');
  logger.info({ url, sdl: product.sdlPath }, 'subgraph listening');

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        await close(server);
        await apollo.stop();
        logger.info({ url }, 'subgraph stopped');
      })();
      return stopping;
    },
  };
}
