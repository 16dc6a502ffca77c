/**
 * The sdp gateway's execution engine: an Apollo Server `gateway` that answers
 * queries with cached query plans and its own plan executor
 * (`execute-plan.ts`), and hands everything else to a stock `ApolloGateway`.
 *
 * Apollo Server still runs its whole request pipeline around it (parsing and
 * validation with its document cache, plugins, error formatting, response
 * serialisation); only the gateway's `executor` step is replaced. Planning is
 * stock's own `QueryPlanner` built from the same supergraph, execution and
 * result shaping reproduce stock's algorithms step for step (and reuse its
 * helpers where they are not hot), so what a client sees is what stock answers;
 * test/gateway/differential.test.ts holds the two side by side. The speed comes
 * from not redoing per request what depends only on the document (plan lookup
 * hashing, building the federation `Operation`, walking it for result shaping:
 * `result-shaping.ts`), from the subgraph HTTP client (`subgraph-client.ts`) and
 * from entity de-duplication (`execute-plan.ts`).
 *
 * Operations that take the stock path, decided once per document:
 * - mutations and subscriptions (not throughput-critical; stock keeps their
 *   ordering and side effects exactly as it always has);
 * - plans with @defer (stock rejects them, and this keeps that answer);
 * - documents stock fails to plan (stock then reports its own error);
 * and per request: when usage reporting captures traces (stock builds the
 * trace tree) or the query-plan debugging header is honoured.
 */
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import {
  assert,
  operationFromDocument,
  type FieldSelection,
  Supergraph,
  type Operation,
  type Schema as FederationSchema,
} from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import {
  executeSync,
  GraphQLError,
  Kind,
  OperationTypeNode,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { Logger } from 'pino';
import { RequestDeadlineExceeded } from '../../platform/deadline';
import type { GatewayContext } from '../context';
import { gatewayError } from '../errors';
import { executePlanNode, type PlanExecution } from './execute-plan';
import { operationRewriteOf } from './operation-rewrite';
import { compileOperation, computeCompiledResponse, type CompiledOperation } from './result-shaping';
import { responseObject } from './response-object';
import { ASSERTION_HEADER } from '../../platform/assertion';
import { pooledFetcher, ResponseTooLarge, SubgraphClient } from './subgraph-client';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayInterface,
  GatewayLoadResult,
  GatewayRequestContext,
  SchemaLoadOrUpdateCallback,
} from './types';

/**
 * Bytes of cached plans per gateway unless configured (SDP_PLAN_CACHE_BYTES).
 * Bounded by estimated size, not entries: the issue measured 36 distinct
 * 1,000-alias documents growing the heap by over a gigabyte under an
 * entry-count bound.
 */
const DEFAULT_PLAN_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Estimated bytes held by a cached entry per character of its document: the
 * federation `Operation`, the plan and the compiled result shaping all grow
 * with the document. Measured on the platform's supergraph (heap after GC,
 * operation + plan + compiled shaping kept): 258 bytes per character for the
 * README's cross-product query (69 KB per entry), 174 for 30 aliased
 * `pages` selections (510 KB), 162 for 200 (3.2 MB). 400 errs towards using
 * less memory than the bound says.
 */
const CACHED_BYTES_PER_DOCUMENT_CHAR = 400;

type Prepared =
  | { kind: 'stock' }
  /** The planner refused the operation with one of its own safety limits: a client error. */
  | { kind: 'refused'; message: string }
  | {
      kind: 'fast';
      plan: QueryPlan;
      /** The operation as stock's executor builds it (API schema, not validated again): result shaping walks it. */
      operation: Operation;
      /** The same operation compiled for result shaping. */
      compiled: CompiledOperation;
      definition: OperationDefinitionNode;
    };

interface SchemaState {
  apiSchema: FederationSchema;
  supergraphSchema: GraphQLSchema;
  planner: QueryPlanner;
  /** Least recently used first, with each entry's estimated size. */
  plans: Map<string, { prepared: Prepared; bytes: number }>;
  planBytes: number;
}

export interface FastGatewayOptions {
  supergraphSdl: string;
  /** Routing URL overrides by subgraph name (already checked against the supergraph). */
  subgraphUrls: Record<string, string>;
  logger: Logger;
  /**
   * The signed principal assertion (platform/assertion.ts) to send with every
   * subgraph call of the request whose context value this is; undefined sends none.
   */
  subgraphAssertion?: (context: object) => string | undefined;
  /** Estimated bytes of cached plans; default 64 MiB. */
  planCacheBytes?: number;
  /** An answer whose subgraph data grows past this many bytes is not built; default unbounded. */
  maxResponseBytes?: number;
}

export class FastGateway implements GatewayInterface {
  private readonly stock: ApolloGateway;
  /** One client (pool) per URL, shared by the fast path and the stock data sources. */
  private readonly clients = new Map<string, SubgraphClient>();
  /** Subgraph name → client, for the schema currently served. */
  private clientsByName = new Map<string, SubgraphClient>();
  private state: SchemaState | undefined;
  private stockExecutor: GatewayExecutor | undefined;
  private readonly exposeQueryPlans = process.env.NODE_ENV !== 'production';
  private readonly recursiveSelectionsLimitDisabled =
    process.env.APOLLO_DISABLE_SECURITY_RECURSIVE_SELECTIONS_CHECK === 'true';
  private readonly nonLocalSelectionsLimitDisabled =
    process.env.APOLLO_DISABLE_SECURITY_NON_LOCAL_SELECTIONS_CHECK === 'true';

  constructor(private readonly options: FastGatewayOptions) {
    const fetcher = pooledFetcher((url) => this.clientFor(url));
    const assertion = options.subgraphAssertion;
    this.stock = new ApolloGateway({
      supergraphSdl: options.supergraphSdl,
      logger: options.logger,
      buildService: ({ name, url }) =>
        new RemoteGraphQLDataSource({
          url: options.subgraphUrls[name] ?? url,
          fetcher,
          // The stock path signs its subgraph calls like the fast path does.
          ...(assertion
            ? {
                willSendRequest({ request, context }) {
                  const signed = assertion(context);
                  if (signed !== undefined) request.http?.headers.set(ASSERTION_HEADER, signed);
                },
              }
            : {}),
        }),
    });
    // Registered before Apollo Server's own listener, so the fast path is ready
    // for the schema by the time Apollo Server starts serving it.
    this.stock.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
      try {
        this.prepareSchema(coreSupergraphSdl);
      } catch (error) {
        options.logger.error(
          { err: error },
          'cannot prepare the fast path; stock execution serves every operation',
        );
      }
    });
  }

  async load(options: Parameters<GatewayInterface['load']>[0]): Promise<GatewayLoadResult> {
    const loaded = await this.stock.load(options);
    this.stockExecutor = loaded.executor ?? undefined;
    return { executor: (requestContext) => this.execute(requestContext) };
  }

  onSchemaLoadOrUpdate(callback: SchemaLoadOrUpdateCallback): () => void {
    return this.stock.onSchemaLoadOrUpdate(callback);
  }

  async stop(): Promise<void> {
    await this.stock.stop();
    await Promise.all([...this.clients.values()].map((client) => client.close()));
    this.clients.clear();
  }

  private clientFor(url: string): SubgraphClient {
    let client = this.clients.get(url);
    if (!client) {
      client = new SubgraphClient(url);
      this.clients.set(url, client);
    }
    return client;
  }

  private prepareSchema(supergraphSdl: string): void {
    // Until the new schema is ready (or if preparing it fails), every request
    // takes the stock path: never a plan for the previous schema.
    this.state = undefined;
    // As stock builds it (`createSchemaFromSupergraphSdl`), so plans are identical.
    const supergraph = Supergraph.build(supergraphSdl, {
      validateSupergraph: process.env.NODE_ENV !== 'production',
    });
    const byName = new Map<string, SubgraphClient>();
    for (const { name, url } of supergraph.subgraphsMetadata?.() ?? []) {
      byName.set(name, this.clientFor(this.options.subgraphUrls[name] ?? url));
    }
    this.clientsByName = byName;
    this.state = {
      apiSchema: supergraph.apiSchema(),
      supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
      planner: new QueryPlanner(supergraph),
      plans: new Map(),
      planBytes: 0,
    };
  }

  private async execute(original: GatewayRequestContext): Promise<GatewayExecutionResult> {
    // A plugin may have replaced the operation for this request (operation-rewrite.ts):
    // both paths then plan and run the rewritten document, cached under its own hash.
    const rewrite = operationRewriteOf(original.context);
    const requestContext: GatewayRequestContext = rewrite
      ? {
          ...original,
          document: rewrite.document,
          operation: rewrite.operation,
          queryHash: rewrite.queryHash,
        }
      : original;
    const result = await this.executeOperation(requestContext);
    return rewrite ? rewrite.complete(result) : result;
  }

  private async executeOperation(requestContext: GatewayRequestContext): Promise<GatewayExecutionResult> {
    const stockExecutor = this.stockExecutor;
    const state = this.state;
    if (!stockExecutor) throw new Error('gateway used before it was loaded');
    if (!state || requestContext.metrics.captureTraces || this.wantsQueryPlan(requestContext)) {
      return stockExecutor(requestContext);
    }
    // Apollo Server leaves `operation` unset when the document has several
    // operations and no (or an unknown) operationName; graphql-js's words.
    if (!requestContext.operation) {
      const name = requestContext.request.operationName;
      return {
        errors: [
          new GraphQLError(
            name
              ? `Unknown operation named "${name}".`
              : 'Must provide operation name if query contains multiple operations.',
          ),
        ],
      };
    }
    const prepared = this.prepare(state, requestContext);
    if (prepared.kind === 'stock') return stockExecutor(requestContext);
    if (prepared.kind === 'refused') {
      return { errors: [gatewayError('QUERY_PLAN_TOO_COMPLEX', prepared.message)] };
    }

    const variableErrors = this.validateVariables(requestContext, prepared.definition.variableDefinitions);
    if (variableErrors.length > 0) return { errors: variableErrors };

    const limits = this.limitsFor(requestContext);
    const execution: PlanExecution = {
      operation: prepared.operation,
      supergraphSchema: state.supergraphSchema,
      clients: this.clientsByName,
      requestContext,
      errors: [],
      assertion: this.options.subgraphAssertion?.(requestContext.context),
      limits,
    };
    const data: Record<string, unknown> = responseObject();
    const root = prepared.plan.node as PlanNode | undefined;
    if (root) await executePlanNode(execution, root, { path: [], data, fullResult: data });
    const stopped: unknown = limits.signal?.aborted ? limits.signal.reason : undefined;
    if (stopped instanceof ResponseTooLarge) {
      return {
        errors: [
          gatewayError(
            'RESPONSE_TOO_LARGE',
            `The answer is larger than the limit of ${this.options.maxResponseBytes} bytes; ask for fewer fields or smaller pages.`,
            { limit: this.options.maxResponseBytes },
          ),
        ],
      };
    }
    if (stopped instanceof RequestDeadlineExceeded) {
      execution.errors.push(
        new GraphQLError(`${stopped.message} Fields not fetched by then are null.`, {
          extensions: { code: 'GATEWAY_TIMEOUT', timeoutMs: stopped.timeoutMs },
        }),
      );
    }
    return this.shape(requestContext, prepared, data, execution.errors as GraphQLError[]);
  }

  /**
   * One request's bounds on its subgraph calls: its context's signal (deadline,
   * client gone) joined with a signal of its own that the response-size count
   * aborts, so every outstanding fetch stops at once.
   */
  private limitsFor(requestContext: GatewayRequestContext): NonNullable<PlanExecution['limits']> {
    const context = requestContext.context as Partial<GatewayContext>;
    const maxBytes = this.options.maxResponseBytes;
    if (maxBytes === undefined) return { signal: context.signal, deadlineAt: context.deadlineAt };
    const tooLarge = new AbortController();
    let received = 0;
    return {
      signal: context.signal ? AbortSignal.any([context.signal, tooLarge.signal]) : tooLarge.signal,
      deadlineAt: context.deadlineAt,
      onBytes: (bytes) => {
        received += bytes;
        if (received <= maxBytes) return true;
        if (!tooLarge.signal.aborted) tooLarge.abort(new ResponseTooLarge());
        return false;
      },
    };
  }

  /** Stock's post-processing step (`executeQueryPlan`), with the same error handling, on the compiled operation. */
  private shape(
    requestContext: GatewayRequestContext,
    prepared: Extract<Prepared, { kind: 'fast' }>,
    input: Record<string, unknown>,
    errors: GraphQLError[],
  ): GatewayExecutionResult {
    const variables = requestContext.request.variables;
    try {
      const { data, errors: postProcessingErrors } = computeCompiledResponse({
        compiled: prepared.compiled,
        variables,
        input,
        introspectionHandling: (field) =>
          introspect(
            requestContext.schema,
            (field.expandFragments(undefined) as FieldSelection).toSelectionNode(),
            prepared.definition.variableDefinitions,
            variables,
          ),
      });
      if (errors.length === 0 && postProcessingErrors.length > 0) {
        return { extensions: { valueCompletion: postProcessingErrors }, data };
      }
      return errors.length === 0 ? { data } : { errors, data };
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      if (error instanceof Error)
        return { errors: [new GraphQLError(error.message, { originalError: error })] };
      requestContext.logger.error('Unexpected error during query plan execution: ' + String(error));
      return { errors: [new GraphQLError('Unexpected error during query plan execution')] };
    }
  }

  /** Stock's `validateIncomingRequest`: variables are coerced once here, and errors end the request. */
  private validateVariables(
    requestContext: GatewayRequestContext,
    definitions: readonly VariableDefinitionNode[] | undefined,
  ): readonly GraphQLError[] {
    if (!definitions) return [];
    const { errors } = getVariableValues(
      requestContext.schema,
      definitions,
      requestContext.request.variables ?? {},
    );
    return errors ?? [];
  }

  private wantsQueryPlan(requestContext: GatewayRequestContext): boolean {
    return (
      this.exposeQueryPlans && !!requestContext.request.http?.headers.get('Apollo-Query-Plan-Experimental')
    );
  }

  private prepare(state: SchemaState, requestContext: GatewayRequestContext): Prepared {
    const operationName = requestContext.request.operationName;
    const key = `${requestContext.queryHash}\u0000${operationName ?? ''}`;
    const cached = state.plans.get(key);
    if (cached !== undefined) {
      // Most recently used last: eviction takes from the front.
      state.plans.delete(key);
      state.plans.set(key, cached);
      return cached.prepared;
    }
    const prepared = this.plan(state, requestContext.document, requestContext.operation, operationName);
    const bytes = (requestContext.source?.length ?? 0) * CACHED_BYTES_PER_DOCUMENT_CHAR;
    const budget = this.options.planCacheBytes ?? DEFAULT_PLAN_CACHE_BYTES;
    if (bytes <= budget) {
      while (state.planBytes + bytes > budget) {
        const [oldest, entry] = state.plans.entries().next().value as [string, { bytes: number }];
        state.plans.delete(oldest);
        state.planBytes -= entry.bytes;
      }
      state.plans.set(key, { prepared, bytes });
      state.planBytes += bytes;
    }
    return prepared;
  }

  /** Estimated bytes of the cached plans (for tests and diagnostics). */
  planCacheBytes(): { entries: number; bytes: number } {
    return { entries: this.state?.plans.size ?? 0, bytes: this.state?.planBytes ?? 0 };
  }

  private plan(
    state: SchemaState,
    document: DocumentNode,
    definition: OperationDefinitionNode,
    operationName: string | undefined,
  ): Prepared {
    if (definition.operation !== 'query') return { kind: 'stock' };
    try {
      const planned = operationFromDocument(state.apiSchema, document, { operationName });
      const plan = state.planner.buildQueryPlan(planned, {
        recursiveSelectionsLimitDisabled: this.recursiveSelectionsLimitDisabled,
        nonLocalSelectionsLimitDisabled: this.nonLocalSelectionsLimitDisabled,
      });
      if (!plan.node || !containsDefer(plan.node)) {
        const fragments = document.definitions.filter(
          (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
        );
        const operation = operationFromDocument(
          state.apiSchema,
          { kind: Kind.DOCUMENT, definitions: [definition, ...fragments] },
          { validate: false },
        );
        return { kind: 'fast', plan, operation, compiled: compileOperation(operation), definition };
      }
    } catch (error) {
      // The planner's own safety limits are the client's problem, not ours:
      // stock would answer them with a 500.
      const refusal = plannerRefusal(error);
      if (refusal !== undefined) return { kind: 'refused', message: refusal };
      // Otherwise stock plans it again and answers with its own error.
    }
    return { kind: 'stock' };
  }
}

/** What @apollo/query-planner throws when a document trips its safety limits. */
const PLANNER_LIMITS = [
  /^Number of non-local selections exceeds limit/,
  /^Exceeded maximum recursive selections/,
];

/** The client-facing message for a planner failure that is one of its safety limits; undefined otherwise. */
export function plannerRefusal(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  if (!PLANNER_LIMITS.some((pattern) => pattern.test(message))) return undefined;
  return `The query is too complex to plan: ${message}.`;
}

function containsDefer(node: QueryPlan['node']): boolean {
  if (!node) return false;
  switch (node.kind) {
    case 'Defer':
    case 'Subscription':
      return true;
    case 'Sequence':
    case 'Parallel':
      return node.nodes.some(containsDefer);
    case 'Flatten':
      return containsDefer(node.node);
    case 'Condition':
      return containsDefer(node.ifClause) || containsDefer(node.elseClause);
    case 'Fetch':
      return false;
  }
}

/** Stock's `executeIntrospection`: introspection fields are answered from the API schema. */
function introspect(
  schema: GraphQLSchema,
  selection: FieldNode,
  variableDefinitions: readonly VariableDefinitionNode[] | undefined,
  variableValues: Record<string, unknown> | undefined,
): unknown {
  const used = new Set<string>();
  visit(selection, {
    Variable: ({ name }) => {
      used.add(name.value);
    },
  });
  const usedDefinitions = variableDefinitions?.filter((d) => used.has(d.variable.name.value));
  assert(
    used.size === (usedDefinitions?.length ?? 0),
    () =>
      `Should have found all used variables ${[...used]} in definitions ${JSON.stringify(variableDefinitions)}`,
  );
  const { data, errors } = executeSync({
    schema,
    document: {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: OperationTypeNode.QUERY,
          variableDefinitions: usedDefinitions,
          selectionSet: { kind: Kind.SELECTION_SET, selections: [selection] },
        },
      ],
    },
    rootValue: {},
    variableValues,
  });
  assert(
    !errors || errors.length === 0,
    () =>
      `Introspection query for ${JSON.stringify(selection)} should not have failed but got ${JSON.stringify(errors)}`,
  );
  assert(data, () => `Introspection query for ${JSON.stringify(selection)} should not have failed`);
  const responseName = selection.alias?.value ?? selection.name.value;
  return Object.prototype.hasOwnProperty.call(data, responseName) ? data[responseName] : undefined;
}
