/**
 * The request's static limits (its tier's: request-tier.ts; the highest
 * tier's when unknown) as a validation rule that runs before the others. graphql-js's "overlapping fields can be merged" rule is quadratic in
 * repeated fields: 700 copies of one field with a sub-selection (34 KB, under
 * any sensible token limit) took 516 ms to validate here, and Apollo Server
 * validates before any plugin hook can refuse a request. This rule measures
 * the document (linear, memoised: document-metrics.ts) when validation enters
 * it and, over the ceiling, reports the limit twice: with `maxErrors: 1` (set
 * by gateway/server.ts) graphql-js stops validating at the second report.
 *
 * The error carries its demand-control code in `extensions.limitCode`, which
 * `maskInternalError`'s sibling `restoreLimitCode` (gateway/errors.ts) puts
 * back into `code`: Apollo Server labels every validation error
 * GRAPHQL_VALIDATION_FAILED.
 */
import { BREAK, GraphQLError, Kind, type ValidationRule } from 'graphql';
import type { TierLimits } from '../../config/env';
import { GATEWAY_ERRORS } from '../errors';
import { documentMetrics, type DocumentMetrics } from './document-metrics';

export const STATIC_LIMIT_CHECKS = [
  ['tokens', 'MAX_TOKENS_EXCEEDED', 'tokens'],
  ['depth', 'MAX_DEPTH_EXCEEDED', 'levels of nested fields'],
  ['aliases', 'MAX_ALIASES_EXCEEDED', 'aliases'],
  ['rootFields', 'MAX_ROOT_FIELDS_EXCEEDED', 'root fields'],
  ['directives', 'MAX_DIRECTIVES_EXCEEDED', 'directives'],
  ['fields', 'MAX_FIELDS_EXCEEDED', 'fields after fragment expansion'],
] as const satisfies readonly [
  keyof DocumentMetrics & keyof TierLimits,
  keyof typeof GATEWAY_ERRORS,
  string,
][];

/** The first static limit `metrics` exceeds, as a message, code and numbers; undefined when within all. */
export function exceededLimit(
  metrics: DocumentMetrics,
  limits: Pick<TierLimits, (typeof STATIC_LIMIT_CHECKS)[number][0]>,
  who: string,
):
  | { code: (typeof STATIC_LIMIT_CHECKS)[number][1]; message: string; value: number; limit: number }
  | undefined {
  for (const [measure, code, unit] of STATIC_LIMIT_CHECKS) {
    const value = metrics[measure];
    const limit = limits[measure];
    if (value > limit) {
      const shown = Number.isFinite(value) ? String(value) : 'unbounded';
      return {
        code,
        value,
        limit,
        message: `The operation has ${shown} ${unit}; the limit for ${who} is ${limit}.`,
      };
    }
  }
  return undefined;
}

/** `limits()`: the limits of the request being validated (its tier's, else the highest tier's). */
export function staticCeilingRule(limits: () => TierLimits): ValidationRule {
  return (context) => ({
    Document: {
      enter(document) {
        const current = limits();
        for (const definition of document.definitions) {
          if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
          const exceeded = exceededLimit(documentMetrics(document, definition), current, 'this caller');
          if (!exceeded) continue;
          const error = new GraphQLError(exceeded.message, {
            extensions: {
              limitCode: exceeded.code,
              limit: exceeded.limit,
              ...(Number.isFinite(exceeded.value) ? { value: exceeded.value } : {}),
              http: { status: GATEWAY_ERRORS[exceeded.code], headers: new Map() },
            },
          });
          // graphql-js aborts on the error after the `maxErrors`-th: the second
          // report stops validation here (its notice is removed from the answer
          // by the static-limits plugin).
          context.reportError(error);
          context.reportError(error);
          return BREAK;
        }
        return undefined;
      },
    },
  });
}
