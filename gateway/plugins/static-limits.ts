/**
 * Static limits per principal tier, decided on the parsed document before it
 * is planned or executed: depth, aliases, root fields, tokens, directives and
 * fields after fragment expansion (gateway/demand-control/document-metrics.ts).
 * Each refusal is HTTP 400 with its own code, the measured value and the limit.
 * The measures are computed once per document, in microseconds for ordinary
 * queries (a 10,000-field fragment bomb is measured in time linear in its
 * text, not in its expansion).
 *
 * The highest tier's limits are also checked before validation
 * (demand-control/ceiling-rule.ts), and the parser's `maxTokens` stops
 * oversized documents before that (both set in gateway/server.ts).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { DemandTier, TierLimits } from '../../config/env';
import type { GatewayContext } from '../context';
import { exceededLimit } from '../demand-control/ceiling-rule';
import { documentMetrics } from '../demand-control/document-metrics';
import { gatewayError } from '../errors';

const VALIDATION_ABORTED = /^Too many validation errors, error limit reached/;

export function staticLimitsPlugin(
  tiers: Record<DemandTier, TierLimits>,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          if (!operation) return;
          const tier = contextValue.principal.tier;
          const exceeded = exceededLimit(
            documentMetrics(document, operation),
            tiers[tier],
            `${tier} callers`,
          );
          if (exceeded) {
            const { code, message, value, limit } = exceeded;
            throw gatewayError(code, message, { limit, ...(Number.isFinite(value) ? { value } : {}) });
          }
        },
        // Validation stops at its first error (gateway/server.ts); graphql-js
        // then adds a notice saying so, which tells the client nothing.
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (
            errors &&
            errors.length > 1 &&
            VALIDATION_ABORTED.test(errors[errors.length - 1]?.message ?? '')
          ) {
            response.body.singleResult.errors = errors.slice(0, -1);
          }
        },
      };
    },
  };
}
