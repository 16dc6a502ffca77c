/**
 * Serves one data product as a federation subgraph: its SDL from `schema/`, its
 * resolvers, a fresh context per request. The gateway is its only client: every
 * GraphQL request must carry the gateway's signed principal assertion
 * (platform/assertion.ts), or it is refused with 401 before Apollo sees it,
 * `_entities` and `_service` included. Otherwise the gateway's access policy
 * could be bypassed by calling the subgraph's port.
 */
import { readFile } from 'node:fs/promises';
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { libraryLogger } from './logger';
import type http from 'node:http';
import { ASSERTION_HEADER, verifyAssertion, type VerifiedAssertion } from './assertion';
import { ClientDisconnected, RequestDeadlineExceeded, subgraphRequestDeadline } from './deadline';
import { close, createGraphQLHandler, createHttpServer, listenOrStop, sendJson, urlFor } from './http';
import type { DataProduct, ProductStore } from './product';

export interface SubgraphServerOptions {
  port: number;
  /** Loopback unless configured otherwise (SDP_SUBGRAPH_HOST): only the gateway calls subgraphs. */
  host: string;
  logger: Logger;
  maxBodyBytes?: number;
  /** The secret the gateway signs principal assertions with; requests without a valid one get 401. */
  secret: string;
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
    logger: libraryLogger(logger),
    // Apollo's default is "on unless NODE_ENV is production or test"; stack
    // traces must be opt-in, never the result of an unset variable.
    includeStacktraceInErrorResponses: development,
    formatError: (formatted, error) => maskSubgraphError(formatted, error, logger, development),
    plugins: [
      // The default landing page loads Apollo Sandbox from a CDN; subgraphs have no UI.
      ApolloServerPluginLandingPageDisabled(),
      // Federated traces (ftv1) for a gateway that asks for them: the stock gateway
      // does when usage reporting captures traces. Apollo installs this by itself
      // on a subgraph, announcing it at info on every start; installed here it
      // behaves the same without the notice.
      ApolloServerPluginInlineTrace(),
    ],
  });
  await apollo.start();

  // The verified assertion of each request, from the check before Apollo to its context.
  const verified = new WeakMap<http.IncomingMessage, VerifiedAssertion>();
  const graphql = createGraphQLHandler(apollo, {
    context: async (req, res) => {
      const assertion = verified.get(req);
      if (!assertion) throw new Error('request reached Apollo without a verified assertion');
      return product.context(store, { principal: assertion.principal, ...subgraphRequestDeadline(req, res) });
    },
    maxBodyBytes: options.maxBodyBytes,
    logger,
  });
  const server = createHttpServer(async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/graphql') {
      const header = req.headers[ASSERTION_HEADER];
      const check = verifyAssertion(options.secret, Array.isArray(header) ? header[0] : header);
      if (!check.ok) {
        logger.warn({ reason: check.reason, client: req.socket.remoteAddress }, 'subgraph request refused');
        return sendJson(
          res,
          401,
          {
            errors: [
              {
                message: 'This subgraph answers the sdp gateway only: missing, invalid or expired assertion.',
                extensions: { code: 'UNAUTHENTICATED' },
              },
            ],
          },
          { 'www-authenticate': 'SDP-Assertion' },
        );
      }
      verified.set(req, check.assertion);
      return graphql(req, res);
    }
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, { status: 'ok', subgraph: product.name });
    }
    sendJson(res, 404, { error: 'not found', routes: ['/graphql', '/health'] });
  }, logger);

  const address = await listenOrStop(server, options.port, options.host, () => apollo.stop());
  const url = urlFor(address, '/graphql');
  // Debug: the platform reports the product up, with this URL, once its ingest runs too.
  logger.debug({ url, sdl: product.sdlPath }, 'subgraph listening');

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        await close(server);
        await apollo.stop();
        logger.debug({ url }, 'subgraph stopped');
      })();
      return stopping;
    },
  };
}
