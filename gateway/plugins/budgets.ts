/**
 * Cost budgets per principal (gateway/demand-control/budgets.ts): each
 * operation's estimated cost is taken from its principal's token bucket
 * (`principal.id`: the client address for anonymous callers, the key or token
 * subject otherwise) once every other check has passed. A spent budget is
 * HTTP 429 with `Retry-After`; every answer carries the bucket's state in the
 * IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-07:
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`,
 * `RateLimit-Policy`), in cost units.
 *
 * If the budget store cannot answer (Redis down), the request is refused with
 * 503 rather than served unmetered: fail closed.
 */
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { Logger } from 'pino';
import type { DemandTier, TierLimits } from '../../config/env';
import type { GatewayContext } from '../context';
import type { BudgetStore } from '../demand-control/budgets';
import { GATEWAY_ERRORS } from '../errors';

export function budgetsPlugin(
  store: BudgetStore,
  tiers: Record<DemandTier, TierLimits>,
  logger: Logger,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ contextValue, response }): Promise<GraphQLResponse | null> {
          const limits = tiers[contextValue.principal.tier];
          if (limits.costPerSecond === 0 || !contextValue.cost) return null;
          const policy = { costPerSecond: limits.costPerSecond, burst: limits.burst };
          const cost = contextValue.cost.estimated;
          let decision;
          try {
            decision = await store.take(contextValue.principal.id, cost, policy);
          } catch (error) {
            logger.error({ err: error, requestId: contextValue.requestId }, 'budget store unavailable');
            return refusal(
              GATEWAY_ERRORS.BUDGET_STORE_UNAVAILABLE,
              'BUDGET_STORE_UNAVAILABLE',
              'Budgets cannot be checked right now; try again shortly.',
              {
                'retry-after': '1',
              },
            );
          }
          const window = Math.ceil(policy.burst / policy.costPerSecond);
          const headers = {
            'ratelimit-limit': String(policy.burst),
            'ratelimit-remaining': String(decision.remaining),
            'ratelimit-reset': String(decision.resetS),
            'ratelimit-policy': `${policy.burst};w=${window};comment="cost units"`,
          };
          if (decision.allowed) {
            for (const [name, value] of Object.entries(headers)) response.http.headers.set(name, value);
            return null;
          }
          return refusal(
            GATEWAY_ERRORS.BUDGET_EXCEEDED,
            'BUDGET_EXCEEDED',
            `The cost budget of ${contextValue.principal.tier} caller ${contextValue.principal.id} is spent: this operation costs ${cost}, ${decision.remaining} is left, refilled at ${policy.costPerSecond} per second. Retry after ${decision.retryAfterS} s.`,
            { ...headers, 'retry-after': String(decision.retryAfterS) },
            { cost, remaining: decision.remaining, retryAfter: decision.retryAfterS },
          );
        },
      };
    },
  };
}

function refusal(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string>,
  extensions: Record<string, unknown> = {},
): GraphQLResponse {
  return {
    http: { status, headers: new HeaderMap(Object.entries(headers)) },
    body: { kind: 'single', singleResult: { errors: [{ message, extensions: { code, ...extensions } }] } },
  };
}
