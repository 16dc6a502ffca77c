/**
 * The federated gateway: one GraphQL endpoint over every data product's subgraph,
 * planned and executed by Apollo Gateway from a composed supergraph
 * (schema/supergraph.graphql, written by `sdp compose`).
 *
 * Routes: `/graphql` (GET and POST, introspection on), `/health` (the process is
 * alive), `/ready` (every subgraph answers), `/` (offline GraphiQL) and its
 * assets under `/graphiql/assets/`. Behaviour added later (policy, audit,
 * limits, metrics) comes in as Apollo Server plugins, see gateway/plugins/.
 */
import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { Kind, parse, type ConstValueNode } from 'graphql';
import type { Logger } from 'pino';
import type { DemandConfig, TierLimits } from '../config/env';
import { requestDeadline } from '../platform/deadline';
import {
  close,
  createGraphQLHandler,
  createHttpServer,
  listenOrStop,
  sendJson,
  urlFor,
} from '../platform/http';
import { ASSERTION_HEADER, signAssertion } from '../platform/assertion';
import { anonymousPrincipal } from '../platform/principal';
import { disableVendorTelemetry } from '../platform/vendor-telemetry';
import { libraryLogger } from '../platform/logger';
import type { AuditSink } from './audit/audit-log';
import { wwwAuthenticate, type Authentication, type Authenticator } from './authentication/authenticator';
import { clientAddressOf, gatewayContext, type GatewayContext } from './context';
import { staticCeilingRule } from './demand-control/ceiling-rule';
import { requestTier, setRequestTier, withRequestTier } from './demand-control/request-tier';
import { MemoryBudgetStore, RedisBudgetStore, type BudgetStore } from './demand-control/budgets';
import { loadTrustedDocuments } from './demand-control/trusted-documents';
import { maskInternalError } from './errors';
import { FastGateway } from './execution/fast-gateway';
import { createGraphiQLHandler } from './graphiql';
import { defaultPlugins, demandControlPlugins } from './plugins';
import { authorizationPlugin } from './plugins/authorization';
import { builtInPolicies, PURPOSE_HEADER, type PolicyDecider } from './policy/policies';
import { plannableSupergraph, readAccessRules } from './policy/requirements';

/**
 * Who may ask what, and where reads of protected data are recorded (README
 * "Access and policy"). Every part has a closed default: without an
 * authenticator every request is anonymous and any credential is refused;
 * without an audit sink protected fields are never served.
 */
export interface GatewayAccess {
  /** Decides who is asking; an `Authenticator` (API keys, JWTs) in sdp start and sdp gateway. */
  authenticator?: Pick<Authenticator, 'authenticate'>;
  /** Signs the principal assertion sent with every subgraph call (platform/assertion.ts); unset sends none. */
  subgraphSecret?: string;
  /** Browser origins allowed to call /graphql cross-origin. */
  corsOrigins?: readonly string[];
  /** Refuse a request selecting any unauthorized field (403) instead of nulling the fields. */
  rejectUnauthorized?: boolean;
  /** Scopes each `@sensitive(class:)` requires; default `PII` → `pii:read`. */
  sensitiveScopes?: Record<string, string[]>;
  /** Decides `@policy` names; default gateway/policy/policies.ts. */
  policies?: PolicyDecider;
  audit?: AuditSink;
}

export const DEFAULT_SENSITIVE_SCOPES: Record<string, string[]> = { PII: ['pii:read'] };

/** Request headers a browser client may send cross-origin. */
const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  PURPOSE_HEADER,
].join(', ');

export interface GatewayOptions {
  /** The composed supergraph SDL (the contents of schema/supergraph.graphql). */
  supergraphSdl: string;
  /**
   * Routing URLs by subgraph name, replacing the ones composed into the
   * supergraph, e.g. when subgraph ports come from configuration or are dynamic.
   * A name that is not a subgraph of the supergraph is an error.
   */
  subgraphUrls?: Record<string, string>;
  port: number;
  host: string;
  logger: Logger;
  /** Run after `defaultPlugins(logger)`, in this order. */
  plugins?: ApolloServerPlugin<GatewayContext>[];
  /** Request body limit for `/graphql`; default 1 MiB. */
  maxBodyBytes?: number;
  /** How long `/ready` waits for each subgraph; default 2 s. */
  readinessTimeoutMs?: number;
  /** The query GraphiQL opens with; default: the graph's entry points (works on any supergraph). */
  graphiqlDefaultQuery?: string;
  /** Authentication, authorization, audit, subgraph assertions, CORS. */
  access?: GatewayAccess;
  /**
   * Demand control (README "Limits and budgets"): static limits, cost
   * analysis, budgets, the request deadline, response and plan-cache bounds,
   * trusted documents. `sdp start` and `sdp gateway` pass the configuration's;
   * without it the gateway runs none of them (embedding and stock comparisons).
   */
  demand?: DemandConfig;
}

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Where the other routes live, e.g. `http://127.0.0.1:4000`; GraphiQL is at `${baseUrl}/`. */
  baseUrl: string;
  server: ApolloServer<GatewayContext>;
  /** Drains in-flight requests, closes keep-alive connections, stops the gateway. Idempotent. */
  stop(): Promise<void>;
}

export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/**
 * The subgraphs a supergraph routes to, as `join__Graph` enum values declare
 * them: `PAGES @join__graph(name: "pages", url: "http://…")`.
 */
export function subgraphsOf(supergraphSdl: string): SubgraphEndpoint[] {
  const stringArg = (
    args: readonly { name: { value: string }; value: ConstValueNode }[] | undefined,
    name: string,
  ) => {
    const value = args?.find((a) => a.name.value === name)?.value;
    return value?.kind === Kind.STRING ? value.value : undefined;
  };
  const subgraphs: SubgraphEndpoint[] = [];
  for (const definition of parse(supergraphSdl).definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const directive = value.directives?.find((d) => d.name.value === 'join__graph');
      const name = stringArg(directive?.arguments, 'name');
      const url = stringArg(directive?.arguments, 'url');
      if (name === undefined || url === undefined) {
        throw new Error(`supergraph: join__Graph.${value.name.value} has no @join__graph(name:, url:)`);
      }
      subgraphs.push({ name, url });
    }
  }
  if (subgraphs.length === 0)
    throw new Error('supergraph: no join__Graph enum; is this a composed supergraph?');
  return subgraphs;
}

type Probe = { name: string; ok: true; ms: number } | { name: string; ok: false; error: string };

/** Asks a subgraph for `{ __typename }`: it must be up and executing GraphQL, not merely accepting connections. */
async function probe(subgraph: SubgraphEndpoint, timeoutMs: number, assertion?: string): Promise<Probe> {
  const started = performance.now();
  try {
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(assertion === undefined ? {} : { [ASSERTION_HEADER]: assertion }),
      },
      body: '{"query":"{ __typename }"}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { name: subgraph.name, ok: false, error: `HTTP ${response.status}` };
    }
    const json = (await response.json()) as { data?: { __typename?: unknown } };
    if (json.data?.__typename !== 'Query') {
      return { name: subgraph.name, ok: false, error: 'answered, but not with { __typename: "Query" }' };
    }
    return { name: subgraph.name, ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { name: subgraph.name, ok: false, error: describeFetchError(error, timeoutMs) };
  }
}

/** undici's `fetch failed` hides the reason (ECONNREFUSED, ENOTFOUND, …) in `cause`. */
function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

/**
 * Static limits enforced before validation, with the request's tier
 * (demand-control/request-tier.ts; the highest tier's when unknown): the
 * parser stops at the tier's token limit, and a first validation rule refuses
 * a document over any other limit, after which graphql-js stops validating
 * (`maxErrors: 1`): its overlapping-fields rule is quadratic in repeated
 * fields, and validating 2,500 one-field operations took 128 ms. A client sending an
 * invalid document therefore sees its first validation error only. Apollo
 * Server's document cache skips both for a text it has seen, so the
 * static-limits plugin applies each tier's limits again on every request.
 */
function beforeValidation(demand: DemandConfig) {
  const tiers = Object.values(demand.tiers);
  const ceiling = Object.fromEntries(
    (Object.keys(demand.tiers.anonymous) as (keyof TierLimits)[]).map((k) => [
      k,
      Math.max(...tiers.map((t) => t[k])),
    ]),
  ) as unknown as TierLimits;
  const limitsNow = (): TierLimits => {
    const tier = requestTier();
    return tier ? demand.tiers[tier] : ceiling;
  };
  return {
    // Read by graphql's parser when it starts on a document, inside the request.
    parseOptions: {
      get maxTokens() {
        return limitsNow().tokens;
      },
    },
    validationRules: [staticCeilingRule(limitsNow)],
    validationOptions: { maxErrors: 1 },
  };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger;
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2_000;

  const composed = subgraphsOf(options.supergraphSdl);
  const overrides = options.subgraphUrls ?? {};
  const unknown = Object.keys(overrides).filter((name) => !composed.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `subgraphUrls names ${unknown.join(', ')}, not in the supergraph (subgraphs: ${composed.map((s) => s.name).join(', ')})`,
    );
  }
  const subgraphs = composed.map((s) => ({ name: s.name, url: overrides[s.name] ?? s.url }));

  // The stock ApolloGateway inside must not report to Apollo (platform/vendor-telemetry.ts).
  disableVendorTelemetry();
  const access = options.access ?? {};
  const rules = readAccessRules(options.supergraphSdl, access.sensitiveScopes ?? DEFAULT_SENSITIVE_SCOPES);
  const secret = access.subgraphSecret;
  // One assertion per gateway request, signed when its first subgraph call goes out.
  const assertions = new WeakMap<object, string>();
  const subgraphAssertion = secret
    ? (context: object) => {
        let signed = assertions.get(context);
        if (signed === undefined) {
          const { principal, requestId } = context as GatewayContext;
          signed = signAssertion(secret, principal, requestId);
          assertions.set(context, signed);
        }
        return signed;
      }
    : undefined;
  // Queries run on sdp's execution engine (cached plans, pooled subgraph HTTP,
  // entity de-duplication) with stock's answers; everything else on a stock
  // ApolloGateway inside it. See gateway/execution/fast-gateway.ts.
  const demand = options.demand;
  const gateway = new FastGateway({
    // The planner gets the supergraph without `for: SECURITY` marks; the
    // authorization plugin below enforces what they mark (gateway/policy/requirements.ts).
    supergraphSdl: plannableSupergraph(options.supergraphSdl),
    subgraphUrls: overrides,
    logger: libraryLogger(logger.child({ source: 'apollo-gateway' })),
    subgraphAssertion,
    planCacheBytes: demand?.planCacheBytes,
    maxResponseBytes: demand?.maxResponseBytes,
  });

  // Checked before anything listens: a bad manifest or an unreachable Redis stops start-up.
  const trusted = demand?.trustedDocuments ? loadTrustedDocuments(demand.trustedDocuments) : undefined;
  let budgets: BudgetStore | undefined;
  if (demand?.enabled) {
    if (demand.redisUrl) {
      const redis = new RedisBudgetStore(demand.redisUrl);
      try {
        await redis.ready();
      } catch (error) {
        await redis.close();
        throw new Error(`SDP_REDIS_URL=${demand.redisUrl}: ${(error as Error).message}`);
      }
      budgets = redis;
    } else {
      budgets = new MemoryBudgetStore();
    }
  }

  const development = process.env.NODE_ENV === 'development';
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: libraryLogger(logger.child({ source: 'apollo-server' })),
    // The graph is the product: clients and GraphiQL discover it by introspection.
    introspection: true,
    includeStacktraceInErrorResponses: development,
    formatError: (formatted) => maskInternalError(formatted, development),
    ...(demand?.enabled ? beforeValidation(demand) : {}),
    ...(trusted ? { persistedQueries: { cache: trusted.asPersistedQueryCache() } } : {}),
    plugins: [
      ...defaultPlugins(logger),
      // Demand control first: a request over its limits or budget is refused
      // before any authorization work, and reads nothing to audit.
      ...(demand
        ? demandControlPlugins({ demand, supergraphSdl: options.supergraphSdl, budgets, trusted, logger })
        : []),
      authorizationPlugin({
        rules,
        rejectUnauthorized: access.rejectUnauthorized ?? false,
        policies: access.policies ?? builtInPolicies,
        audit: access.audit,
        logger: logger.child({ plugin: 'authorization' }),
      }),
      ...(options.plugins ?? []),
    ],
  });
  await apollo.start();

  // Authentication runs before Apollo's pipeline (a refusal never reaches it);
  // its principal goes to the context through this map.
  const contexts = new WeakMap<http.IncomingMessage, GatewayContext>();
  const graphql = createGraphQLHandler(apollo, {
    context: async (req, res) => {
      const context = contexts.get(req);
      if (!context) throw new Error('GraphQL request without an authenticated context');
      setRequestTier(context.principal.tier);
      if (!demand) return context;
      return { ...context, ...requestDeadline(res, demand.requestTimeoutMs) };
    },
    maxBodyBytes: options.maxBodyBytes,
    logger,
  });
  const authenticate = async (req: http.IncomingMessage): Promise<Authentication> => {
    const address = clientAddressOf(req);
    if (access.authenticator) return access.authenticator.authenticate(req, address);
    if (req.headers.authorization === undefined) return { ok: true, principal: anonymousPrincipal(address) };
    return {
      ok: false,
      status: 401,
      error: 'invalid_token',
      message: 'This gateway accepts no credentials.',
    };
  };
  const corsOrigins = new Set(access.corsOrigins ?? []);
  /** CORS for /graphql; true when the request was a preflight and has been answered. */
  const cors = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    res.setHeader('vary', 'origin');
    const origin = req.headers.origin;
    const allowed = origin !== undefined && corsOrigins.has(origin);
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', 'x-request-id, www-authenticate');
    }
    if (req.method !== 'OPTIONS') return false;
    if (!allowed) {
      sendJson(res, 403, { error: 'origin not allowed (SDP_CORS_ORIGINS)' });
      return true;
    }
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': CORS_ALLOWED_HEADERS,
      'access-control-max-age': '600',
      'content-length': 0,
    });
    res.end();
    return true;
  };
  const serveGraphQL = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (cors(req, res)) return;
    const authentication = await authenticate(req);
    if (!authentication.ok) {
      req.resume();
      return sendJson(
        res,
        authentication.status,
        { errors: [{ message: authentication.message, extensions: { code: 'UNAUTHENTICATED' } }] },
        authentication.status === 401 ? { 'www-authenticate': wwwAuthenticate(authentication) } : {},
      );
    }
    const context = gatewayContext(authentication.principal);
    contexts.set(req, context);
    res.setHeader('x-request-id', context.requestId);
    return graphql(req, res);
  };
  const graphiql = createGraphiQLHandler({ defaultQuery: options.graphiqlDefaultQuery });

  // Concurrent /ready calls share one round of probes, so a burst of probes is
  // not multiplied by the number of subgraphs.
  let readiness: Promise<Probe[]> | undefined;
  const checkReadiness = () => {
    const assertion = secret
      ? signAssertion(secret, anonymousPrincipal('gateway-readiness'), 'readiness')
      : undefined;
    readiness ??= Promise.all(subgraphs.map((s) => probe(s, readinessTimeoutMs, assertion))).finally(() => {
      readiness = undefined;
    });
    return readiness;
  };

  const server = createHttpServer(async (req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (pathname === '/graphql') return withRequestTier(() => serveGraphQL(req, res));
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (pathname === '/health' && readOnly) return sendJson(res, 200, { status: 'ok' });
    if (pathname === '/ready' && readOnly) {
      const probes = await checkReadiness();
      const unreachable = probes.filter((p): p is Extract<Probe, { ok: false }> => !p.ok);
      for (const p of unreachable) {
        logger.warn(
          { subgraph: p.name, url: subgraphs.find((s) => s.name === p.name)?.url, error: p.error },
          'subgraph not ready',
        );
      }
      if (unreachable.length > 0) {
        return sendJson(res, 503, {
          status: 'unavailable',
          unreachable: unreachable.map(({ name, error }) => ({ name, error })),
        });
      }
      return sendJson(res, 200, { status: 'ready', subgraphs: probes });
    }
    if (await graphiql(req, res, pathname)) return;
    sendJson(res, 404, { error: 'not found', routes: ['/', '/graphql', '/health', '/ready'] });
  }, logger);

  const address = await listenOrStop(server, options.port, options.host, () => apollo.stop());
  const baseUrl = urlFor(address);
  logger.info({ url: `${baseUrl}/graphql`, subgraphs }, 'gateway listening');

  let stopping: Promise<void> | undefined;
  return {
    url: `${baseUrl}/graphql`,
    baseUrl,
    server: apollo,
    stop() {
      stopping ??= (async () => {
        await close(server);
        await apollo.stop();
        await budgets?.close();
        logger.info('gateway stopped');
      })();
      return stopping;
    },
  };
}
