/**
 * The gateway's client-facing error codes, in one place: every request the
 * gateway refuses gets one of these in `extensions.code` and the HTTP status
 * listed here (README "Limits and budgets" has the same table). A client's
 * mistake is always a 4xx; a 500 is only ever our own failure, and then its
 * text is replaced by `Internal server error` and the request id
 * (plugins/error-masking.ts).
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export const GATEWAY_ERRORS = {
  /** Several operations in the document and no (or an unknown) `operationName`. */
  OPERATION_RESOLUTION_FAILURE: 400,
  /** Fields nested deeper than the tier allows. */
  MAX_DEPTH_EXCEEDED: 400,
  /** More aliased fields than the tier allows. */
  MAX_ALIASES_EXCEEDED: 400,
  /** More fields at the operation's root than the tier allows. */
  MAX_ROOT_FIELDS_EXCEEDED: 400,
  /** A document with more lexical tokens than the tier allows (also the parser's own `maxTokens`). */
  MAX_TOKENS_EXCEEDED: 400,
  /** More directive applications than the tier allows. */
  MAX_DIRECTIVES_EXCEEDED: 400,
  /** More fields after fragment expansion than the tier allows. */
  MAX_FIELDS_EXCEEDED: 400,
  /** The query planner's own safety limits (non-local or recursive selections). */
  QUERY_PLAN_TOO_COMPLEX: 400,
  /** Estimated cost over the tier's per-operation limit. */
  COST_ESTIMATED_TOO_EXPENSIVE: 400,
  /** The principal's cost budget is spent; `Retry-After` says when enough is back. */
  BUDGET_EXCEEDED: 429,
  /** The shared budget store (Redis) does not answer: refused rather than served unmetered. */
  BUDGET_STORE_UNAVAILABLE: 503,
  /** Not an operation of the trusted-documents manifest, for a tier that may run only those. */
  PERSISTED_QUERY_NOT_IN_LIST: 403,
  /** The answer grew past SDP_MAX_RESPONSE_BYTES. */
  RESPONSE_TOO_LARGE: 422,
  /** The request's deadline passed (SDP_REQUEST_TIMEOUT_MS); fields not fetched by then are null. */
  GATEWAY_TIMEOUT: 200,
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/**
 * A request-ending error with its code and HTTP status. Apollo Server takes
 * the status (and headers) from `extensions.http` and strips it before the
 * error is sent.
 */
export function gatewayError(
  code: GatewayErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
  headers?: Record<string, string>,
): GraphQLError {
  const http = {
    status: GATEWAY_ERRORS[code],
    headers: new Map(Object.entries(headers ?? {})),
  };
  return new GraphQLError(message, { extensions: { code, ...extensions, http } });
}

/** The text every masked error gets; the request id (and the log) tell operators which one it was. */
export const MASKED_MESSAGE = 'Internal server error';

/**
 * Apollo Server's `formatError` for the gateway: an error Apollo classed as
 * INTERNAL_SERVER_ERROR (anything thrown that was not a deliberate
 * GraphQLError: a TypeError in execution, a refused subgraph connection naming
 * its host and port) keeps its path and code but loses its text, which can
 * name hosts, files or values. The error-masking plugin adds the request id
 * and logs the original. In development the text is kept.
 */
export function maskInternalError(
  formatted: GraphQLFormattedError,
  development = process.env.NODE_ENV === 'development',
): GraphQLFormattedError {
  const limited = restoreLimitCode(formatted);
  if (limited) return limited;
  if (development || formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
  if (formatted.message === MASKED_MESSAGE) return formatted;
  return {
    message: MASKED_MESSAGE,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...maskedDetail(formatted) },
  };
}

/** Keeps the downstream subgraph's name, which helps and reveals nothing. */
function maskedDetail(formatted: GraphQLFormattedError): Record<string, unknown> {
  const serviceName = formatted.extensions?.serviceName;
  return typeof serviceName === 'string' ? { serviceName } : {};
}

/** graphql's parser refusing a document over `maxTokens`. */
const PARSER_TOKEN_LIMIT = /^Syntax Error: Document contains more that (\d+) tokens/;

/**
 * Static limits reported during parsing or validation reach `formatError`
 * labelled GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED; their own code
 * goes back (demand-control/ceiling-rule.ts).
 */
function restoreLimitCode(formatted: GraphQLFormattedError): GraphQLFormattedError | undefined {
  const extensions = formatted.extensions ?? {};
  if (typeof extensions.limitCode === 'string') {
    const { limitCode, ...rest } = extensions;
    return { message: formatted.message, extensions: { ...rest, code: limitCode } };
  }
  const tokens = PARSER_TOKEN_LIMIT.exec(formatted.message);
  if (extensions.code === 'GRAPHQL_PARSE_FAILED' && tokens) {
    return {
      message: `The document has more than ${tokens[1]} tokens, the limit for this caller.`,
      extensions: { code: 'MAX_TOKENS_EXCEEDED', limit: Number(tokens[1]) },
    };
  }
  return undefined;
}
