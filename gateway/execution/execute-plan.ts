/**
 * Executes a cached query plan against the subgraphs, with exactly the stock
 * gateway's semantics (@apollo/gateway 2.14 `executeQueryPlan`): the same walk
 * over Sequence / Parallel / Flatten / Condition / Fetch nodes, the same
 * representation building and merging (stock's own `deepMerge`, `applyRewrites`
 * and `generateHydratedPaths` are reused, not re-implemented), the same error
 * wrapping (`downstreamServiceError`) and the same treatment of a subgraph that
 * fails or answers badly. What differs is only how the work is done:
 *
 * - subgraph calls go through `SubgraphClient` (undici pools, no fetch objects);
 * - entity fetches send each distinct representation once. W1 asks reviews for
 *   the same product and the same author dozens of times per query; stock sends
 *   and parses every duplicate. Answers are fanned back out to every entity in
 *   the original order, each duplicate getting its own copy so later merges into
 *   one path never show up at another. If the deduplicated call comes back with
 *   errors or a malformed `_entities`, the call is repeated without
 *   deduplication, so error paths, error order and messages are stock's.
 *
 * Plans with @defer or subscriptions never get here (see `fast-gateway.ts`).
 */
import type { GatewayRequestContext } from './types';
import * as federation from '@apollo/federation-internals';
import type { Operation } from '@apollo/federation-internals';
import { applyRewrites, isObjectOfType } from '@apollo/gateway/dist/dataRewrites';
import { parseCacheControlHeader } from '@apollo/gateway/dist/datasources/parseCacheControlHeader';
import { generateHydratedPaths } from '@apollo/gateway/dist/executeQueryPlan';
import { deepMerge } from '@apollo/gateway/dist/utilities/deepMerge';
import * as queryPlanner from '@apollo/query-planner';
import type { FetchNode, PlanNode, QueryPlanSelectionNode, ResponsePath } from '@apollo/query-planner';
import { GraphQLError, Kind, TypeNameMetaFieldDef, type GraphQLSchema } from 'graphql';
import { FetchError, type CallLimits, type SubgraphClient, type SubgraphResponse } from './subgraph-client';
import { responseObject } from './response-object';

// Both packages re-export through getters (TypeScript's export helpers); some
// of these run per entity, so read them once.
const assert: typeof federation.assert = federation.assert;
const { ERRORS, errorCodeDef } = federation;
const { evaluateCondition, getResponseName } = queryPlanner;
// graphql's index re-exports through getters too.
const TYPENAME = TypeNameMetaFieldDef.name;
const FIELD = Kind.FIELD;
const INLINE_FRAGMENT = Kind.INLINE_FRAGMENT;

type ResultObject = Record<string, unknown>;

interface Cursor {
  path: ResponsePath;
  data: unknown;
  fullResult: ResultObject;
}

export interface PlanExecution {
  operation: Operation;
  /** The supergraph as a graphql-js schema: type conditions in `requires` and rewrites are checked against it. */
  supergraphSchema: GraphQLSchema;
  clients: ReadonlyMap<string, SubgraphClient>;
  requestContext: GatewayRequestContext;
  /** Collected like stock's `context.errors`: GraphQLErrors from subgraphs and whatever a fetch threw. */
  errors: unknown[];
  /** The signed principal assertion sent with every subgraph call of this request. */
  assertion: string | undefined;
  /**
   * The request's deadline, cancellation and response-size bound, passed to
   * every subgraph call; once its signal is aborted no further fetch starts.
   */
  limits?: CallLimits & { deadlineAt?: number };
}

interface GraphQLResponseBody {
  data?: ResultObject | null;
  errors?: { message?: string; path?: ResponsePath; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
const isObject = (value: unknown): value is ResultObject =>
  value !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value);

export async function executePlanNode(
  execution: PlanExecution,
  node: PlanNode,
  cursor: Cursor | undefined,
): Promise<void> {
  if (cursor === undefined) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executePlanNode(execution, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executePlanNode(execution, child, cursor)));
      return;
    case 'Flatten':
      await executePlanNode(execution, node.node, moveIntoCursor(cursor, node.path));
      return;
    case 'Fetch':
      // Past the deadline (or with the client gone) nothing more is fetched;
      // the engine reports the timeout once, not per skipped fetch.
      if (execution.limits?.signal?.aborted) return;
      try {
        await executeFetch(execution, node, cursor);
      } catch (error) {
        if (execution.limits?.signal?.aborted && error === execution.limits.signal.reason) return;
        execution.errors.push(error);
      }
      return;
    case 'Condition': {
      const branch = evaluateCondition(
        node,
        execution.operation.variableDefinitions,
        execution.requestContext.request.variables,
      )
        ? node.ifClause
        : node.elseClause;
      if (branch) await executePlanNode(execution, branch, cursor);
      return;
    }
    case 'Defer':
      // Detected when the plan is cached; such operations run on stock execution.
      assert(false, '@defer support is not available in the gateway');
  }
}

async function executeFetch(execution: PlanExecution, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const client = execution.clients.get(fetch.serviceName);
  if (!client) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities = (
    Array.isArray(cursor.data) ? cursor.data.filter((e) => e !== null && e !== undefined) : [cursor.data]
  ) as ResultObject[];
  if (entities.length < 1) return;

  const variables: Record<string, unknown> = Object.create(null);
  const provided = execution.requestContext.request.variables;
  for (const name of fetch.variableUsages ?? []) {
    if (provided && hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
  }

  const schema = execution.supergraphSchema;
  if (!fetch.requires) {
    const data = await sendOperation(execution, fetch, cursor, client, variables);
    if (data) applyRewrites(schema, fetch.outputRewrites, data);
    for (const entity of entities) deepMerge(entity, data);
    return;
  }

  const plain = plainRequires(fetch);
  const { distinct, twin, toEntity } = plain
    ? collectPlainRepresentations(schema, entities, plain)
    : collectRepresentations(schema, fetch, entities);
  if (twin.length < 1) return;
  if ('representations' in variables) throw new Error(`Variables cannot contain key "representations"`);

  let received: unknown[] | undefined;
  if (distinct.length < twin.length) {
    const response = await send(execution, client, fetch, { ...variables, representations: distinct });
    const deduplicated = response.data?._entities;
    if (!response.errors && Array.isArray(deduplicated) && deduplicated.length === distinct.length) {
      applyCachePolicy(execution, response.http);
      const used = new Set<number>();
      received = twin.map((index) => {
        const entity = deduplicated[index];
        if (!used.has(index)) {
          used.add(index);
          return entity;
        }
        return copyJson(entity);
      });
    }
    // Otherwise fall through: the full call below reproduces stock's errors exactly.
  }
  if (received === undefined) {
    // Every representation, duplicates included: the same JSON stock sends.
    const representations = twin.map((index) => distinct[index]);
    const data = await sendOperation(execution, fetch, cursor, client, { ...variables, representations });
    if (!data) return;
    if (!(data._entities && Array.isArray(data._entities))) {
      throw new Error(`Expected "data._entities" in response to be an array`);
    }
    received = data._entities as unknown[];
    if (received.length !== representations.length) {
      throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
    }
  }
  // Over `entities.length`, not `representations.length`, exactly as stock does.
  for (let i = 0; i < entities.length; i++) {
    const receivedEntity = received[i] as ResultObject | null | undefined;
    const existingEntity = entities[toEntity[i] as number] as ResultObject;
    if (receivedEntity && !receivedEntity.__typename) receivedEntity.__typename = existingEntity.__typename;
    applyRewrites(schema, fetch.outputRewrites, receivedEntity as ResultObject);
    deepMerge(entities[toEntity[i] as number], receivedEntity);
  }
}

/**
 * An entity fetch's representations, de-duplicated: stock builds one per
 * entity and sends them all; W1 asks reviews for the same product and author
 * dozens of times per query.
 */
interface Representations {
  /** Each distinct representation once, in order of first appearance. */
  distinct: ResultObject[];
  /** Per entity that has a representation, in entity order: the index of its representation in `distinct`. */
  twin: number[];
  /** Per entity that has a representation, in entity order: the entity's index. */
  toEntity: number[];
}

/**
 * The general case: stock's representation for every entity, identified by its
 * JSON (input rewrites applied first, as stock applies them before sending).
 */
export function collectRepresentations(
  schema: GraphQLSchema,
  fetch: FetchNode,
  entities: ResultObject[],
): Representations {
  const collected: Representations = { distinct: [], twin: [], toEntity: [] };
  const indexByKey = new Map<string, number>();
  entities.forEach((entity, entityIndex) => {
    const representation = executeSelectionSet(schema, entity, fetch.requires as QueryPlanSelectionNode[]);
    if (!representation || !representation[TYPENAME]) return;
    applyRewrites(schema, fetch.inputRewrites, representation);
    const key = JSON.stringify(representation);
    let index = indexByKey.get(key);
    if (index === undefined) {
      index = collected.distinct.length;
      indexByKey.set(key, index);
      collected.distinct.push(representation);
    }
    collected.twin.push(index);
    collected.toEntity.push(entityIndex);
  });
  return collected;
}

/**
 * The usual case (`PlainRequires`: the key and @requires fields of one entity
 * type): a representation is those fields' values, so duplicates are found
 * from the entity's values through a trie of Maps (one level per field) and a
 * representation object is built only for the first of each. A field holding an object or a list (a custom scalar, a list of keys)
 * is identified by the JSON of all the values instead. The result is what
 * `collectRepresentations` would give, without an object, an array and a JSON
 * string per entity.
 */
export function collectPlainRepresentations(
  schema: GraphQLSchema,
  entities: ResultObject[],
  { typeCondition, fields }: PlainRequires,
): Representations {
  const collected: Representations = { distinct: [], twin: [], toEntity: [] };
  // Stock drops a representation without a (truthy) __typename.
  if (!fields.includes(TYPENAME)) return collected;
  // Whether an entity of a given __typename matches the type condition (stock's `isObjectOfType`).
  const ofType = new Map<unknown, boolean>();
  const trie = new Map<unknown, unknown>();
  let byJson: Map<string, number> | undefined;
  const last = fields.length - 1;
  entities: for (let entityIndex = 0; entityIndex < entities.length; entityIndex++) {
    const entity = entities[entityIndex] as ResultObject;
    if (typeCondition !== undefined) {
      // Otherwise stock's representation is an empty object, dropped for lacking a __typename.
      const typename = entity[TYPENAME];
      let matches = ofType.get(typename);
      if (matches === undefined)
        ofType.set(typename, (matches = isObjectOfType(schema, entity, typeCondition)));
      if (!matches) continue;
    }
    let structured = false;
    for (const field of fields) {
      // Stock's representation is null when a required field is missing.
      if (!hasOwn(entity, field) || entity[field] === undefined) continue entities;
      const value = entity[field];
      if (value !== null && typeof value === 'object') structured = true;
    }
    if (!entity[TYPENAME]) continue;
    let index: number | undefined;
    if (structured) {
      byJson ??= new Map();
      const key = JSON.stringify(fields.map((field) => entity[field]));
      index = byJson.get(key);
      if (index === undefined) byJson.set(key, (index = collected.distinct.length));
    } else {
      let node = trie;
      for (let f = 0; f < last; f++) {
        const value = entity[fields[f] as string];
        let next = node.get(value) as Map<unknown, unknown> | undefined;
        if (next === undefined) node.set(value, (next = new Map()));
        node = next;
      }
      const value = entity[fields[last] as string];
      index = node.get(value) as number | undefined;
      if (index === undefined) node.set(value, (index = collected.distinct.length));
    }
    if (index === collected.distinct.length) {
      const representation = responseObject();
      for (const field of fields) {
        const value = entity[field];
        representation[field] = Array.isArray(value) ? value.slice() : value;
      }
      collected.distinct.push(representation);
    }
    collected.twin.push(index);
    collected.toEntity.push(entityIndex);
  }
  return collected;
}

/** Per fetch node, its request body around the variables: the operation text is escaped once, not per call. */
const bodyParts = new WeakMap<FetchNode, [string, string]>();

/**
 * The stock data source's body, `JSON.stringify({ query, variables, operationName })`,
 * byte for byte (same keys, same order, operationName left out when undefined).
 */
function requestBody(fetch: FetchNode, variables: Record<string, unknown>): string {
  let parts = bodyParts.get(fetch);
  if (!parts) {
    parts = [
      `{"query":${JSON.stringify(fetch.operation)},"variables":`,
      fetch.operationName === undefined ? '}' : `,"operationName":${JSON.stringify(fetch.operationName)}}`,
    ];
    bodyParts.set(fetch, parts);
  }
  return parts[0] + JSON.stringify(variables) + parts[1];
}

interface SentResponse extends GraphQLResponseBody {
  http: SubgraphResponse;
}

/** One subgraph call, with the stock data source's handling of HTTP status and body. */
async function send(
  execution: PlanExecution,
  client: SubgraphClient,
  fetch: FetchNode,
  variables: Record<string, unknown>,
): Promise<SentResponse> {
  const body = requestBody(fetch, variables);
  const limits = execution.limits;
  const http = await client.post(
    body,
    execution.assertion,
    limits && {
      signal: limits.signal,
      onBytes: limits.onBytes,
      remainingMs:
        limits.deadlineAt === undefined
          ? undefined
          : Math.max(0, Math.round(limits.deadlineAt - performance.now())),
    },
  );
  if (http.status < 200 || http.status > 299) throw errorFromResponse(http);
  const parsed = parseBody(http);
  if (!isObject(parsed)) throw new Error(`Expected JSON response body, but received: ${parsed}`);
  return { ...(parsed as GraphQLResponseBody), http };
}

async function sendOperation(
  execution: PlanExecution,
  fetch: FetchNode,
  cursor: Cursor,
  client: SubgraphClient,
  variables: Record<string, unknown>,
): Promise<ResultObject | null | undefined> {
  const response = await send(execution, client, fetch, variables);
  applyCachePolicy(execution, response.http);
  if (response.errors) {
    const errorPath = lazyErrorPaths(fetch, cursor);
    execution.errors.push(
      ...response.errors.map((e) => downstreamServiceError(e, fetch.serviceName, errorPath)),
    );
    if (!response.extensions?.ftv1) {
      const metrics = execution.requestContext.metrics as { nonFtv1ErrorPaths?: unknown[] };
      const paths = response.errors.map((e) => ({ subgraph: fetch.serviceName, path: e.path }));
      if (metrics.nonFtv1ErrorPaths) metrics.nonFtv1ErrorPaths.push(...paths);
      else metrics.nonFtv1ErrorPaths = paths;
    }
  }
  return response.data;
}

/** The stock data source narrows the operation's cache policy by each subgraph's Cache-Control. */
function applyCachePolicy(execution: PlanExecution, http: SubgraphResponse): void {
  const policy = execution.requestContext.overallCachePolicy as
    { restrict?: (hint: { maxAge?: number; scope?: string }) => void } | undefined;
  if (!policy || typeof policy.restrict !== 'function') return;
  const header = http.headers['cache-control'];
  const parsed = parseCacheControlHeader(Array.isArray(header) ? header.join(', ') : header);
  const hint: { maxAge: number; scope?: string } = { maxAge: 0 };
  const maxAge = parsed['max-age'];
  if (typeof maxAge === 'string' && /^[0-9]+$/.test(maxAge)) hint.maxAge = +maxAge;
  if (parsed.private === true) hint.scope = 'PRIVATE';
  if (parsed.public === true) hint.scope = 'PUBLIC';
  policy.restrict(hint);
}

function parseBody(http: SubgraphResponse): unknown {
  const contentType = http.headers['content-type'];
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  if (type && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'))) {
    try {
      return JSON.parse(http.body);
    } catch (error) {
      throw new FetchError(
        `invalid json response body at ${http.url} reason: ${(error as Error).message}`,
        'invalid-json',
      );
    }
  }
  return http.body;
}

function errorFromResponse(http: SubgraphResponse): GraphQLError {
  const extensions: Record<string, unknown> = {
    response: { url: http.url, status: http.status, statusText: http.statusText, body: parseBody(http) },
  };
  if (http.status === 401) extensions.code = 'UNAUTHENTICATED';
  else if (http.status === 403) extensions.code = 'FORBIDDEN';
  return new GraphQLError(`${http.status}: ${http.statusText}`, { extensions });
}

function lazyErrorPaths(fetch: FetchNode, cursor: Cursor) {
  let hydratedPaths: ResponsePath[] | undefined;
  return (errorPath: ResponsePath | undefined): ResponsePath | undefined => {
    if (fetch.requires && typeof errorPath?.[1] === 'number') {
      if (!hydratedPaths) {
        hydratedPaths = [];
        generateHydratedPaths([], cursor.path, cursor.fullResult, hydratedPaths);
      }
      return [...(hydratedPaths[errorPath[1]] ?? []), ...errorPath.slice(2)];
    }
    return errorPath ? [...cursor.path, ...errorPath.slice()] : undefined;
  };
}

function downstreamServiceError(
  originalError: NonNullable<GraphQLResponseBody['errors']>[number],
  serviceName: string,
  errorPath: (path: ResponsePath | undefined) => ResponsePath | undefined,
): GraphQLError {
  let { message } = originalError;
  const { extensions } = originalError;
  if (!message) message = `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    originalError: originalError as Error,
    path: errorPath(originalError.path),
    extensions: { ...extensions, serviceName },
  };
  const codeDef = errorCodeDef(originalError as GraphQLError);
  if (!codeDef && extensions?.code) return new GraphQLError(message, options);
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}

function moveIntoCursor(cursor: Cursor, pathInCursor: ResponsePath): Cursor | undefined {
  const data = flattenResultsAtPath(cursor.data, pathInCursor);
  return data ? { path: cursor.path.concat(pathInCursor), data, fullResult: cursor.fullResult } : undefined;
}

/**
 * Stock's `flattenResultsAtPath`. Stock builds it from nested `flatMap`s, one
 * intermediate array per list level; this appends to one array instead, with
 * the same result: what each innermost `flatMap` callback returns is spread
 * one level if it is an array and appended as it is (null included) if not.
 */
export function flattenResultsAtPath(value: unknown, path: ResponsePath): unknown {
  const firstList = path.indexOf('@');
  if (firstList === -1) return valueAtPath(value, path, 0, path.length);
  const head = valueAtPath(value, path, 0, firstList);
  if (head === undefined || head === null) return head;
  const out: unknown[] = [];
  appendFlattened(head, path, firstList, out);
  return out;
}

/** Follows the field names `path[from..to)`; null/undefined stop the walk and are returned. */
function valueAtPath(value: unknown, path: ResponsePath, from: number, to: number): unknown {
  let current = value;
  for (let at = from; at < to; at++) {
    if (current === undefined || current === null) return current;
    const element = path[at];
    assert(typeof element === 'string', () => `Unexpected ${typeof element} found in path`);
    assert(!Array.isArray(current), () => `Unexpected array in result for path element ${element}`);
    current = hasOwn(current as object, element) ? (current as ResultObject)[element] : undefined;
  }
  return current;
}

/** `path[at]` is '@' and `list` is not null: appends what stock's `list.flatMap(…)` would return. */
function appendFlattened(list: unknown, path: ResponsePath, at: number, out: unknown[]): void {
  if (!Array.isArray(list)) {
    // Stock calls `flatMap` on whatever is there; keep its TypeError.
    throw new TypeError('value.flatMap is not a function');
  }
  const nextList = path.indexOf('@', at + 1);
  const end = nextList === -1 ? path.length : nextList;
  for (const element of list) {
    const reached = valueAtPath(element, path, at + 1, end);
    if (nextList === -1 || reached === undefined || reached === null) {
      // The callback's result: spread one level when it is an array.
      if (Array.isArray(reached)) out.push(...reached);
      else out.push(reached);
    } else {
      appendFlattened(reached, path, nextList, out);
    }
  }
}

/**
 * A fetch's `requires` when a representation is a flat list of an entity's
 * fields: no input rewrite, and either plain fields (no sub-selections) or, the
 * shape query plans use, one inline fragment on the entity type around plain
 * fields. `null` when the general path must build representations.
 */
export interface PlainRequires {
  /** The fragment's type condition; the entity must be of this type to have a representation. */
  typeCondition?: string;
  /** The fields' response names, in selection order. */
  fields: string[];
}

const plainRequiresCache = new WeakMap<FetchNode, PlainRequires | null>();
function plainRequires(fetch: FetchNode): PlainRequires | null {
  let plain = plainRequiresCache.get(fetch);
  if (plain === undefined) {
    plain = null;
    const isPlainField = (s: QueryPlanSelectionNode) => s.kind === FIELD && s.selections === undefined;
    const names = (selections: readonly QueryPlanSelectionNode[]) =>
      selections.map((s) => getResponseName(s as Parameters<typeof getResponseName>[0]));
    const requires = fetch.requires ?? [];
    const [first] = requires;
    if ((fetch.inputRewrites?.length ?? 0) === 0) {
      if (requires.every(isPlainField)) {
        plain = { fields: names(requires) };
      } else if (
        requires.length === 1 &&
        first?.kind === INLINE_FRAGMENT &&
        first.typeCondition &&
        first.selections.every(isPlainField)
      ) {
        plain = { typeCondition: first.typeCondition, fields: names(first.selections) };
      }
    }
    plainRequiresCache.set(fetch, plain);
  }
  return plain;
}

/** Stock's representation builder: `null` when a required field is missing. */
function executeSelectionSet(
  schema: GraphQLSchema,
  source: ResultObject | null,
  selections: readonly QueryPlanSelectionNode[],
): ResultObject | null {
  if (source === null) return null;
  const result: ResultObject = responseObject();
  for (const selection of selections) {
    if (selection.kind === FIELD) {
      const responseName = getResponseName(selection);
      const subselections = selection.selections;
      if (!hasOwn(source, responseName) || typeof source[responseName] === 'undefined') return null;
      const value = source[responseName];
      if (Array.isArray(value)) {
        result[responseName] = value.map((v) =>
          subselections ? executeSelectionSet(schema, v, subselections) : v,
        );
      } else if (subselections) {
        result[responseName] = executeSelectionSet(schema, value as ResultObject, subselections);
      } else {
        result[responseName] = value;
      }
    } else if (selection.kind === INLINE_FRAGMENT) {
      if (!selection.typeCondition || !source) continue;
      if (isObjectOfType(schema, source, selection.typeCondition)) {
        deepMerge(result, executeSelectionSet(schema, source, selection.selections));
      }
    }
  }
  return result;
}

/** A deep copy of parsed JSON (objects, arrays, primitives). */
function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const copy: ResultObject = {};
  for (const key of Object.keys(value)) copy[key] = copyJson((value as ResultObject)[key]);
  return copy;
}
