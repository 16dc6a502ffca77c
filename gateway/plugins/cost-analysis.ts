/**
 * Cost analysis (IBM GraphQL Cost Directives, as federation composes them;
 * gateway/demand-control/cost.ts): every operation's cost is estimated from
 * the supergraph's `@cost`/`@listSize` and the request's variables before it
 * is planned; over the tier's limit it is refused with HTTP 400 and
 * `COST_ESTIMATED_TOO_EXPENSIVE` carrying the estimate and the limit.
 *
 * The estimate is left in the request context for the budgets plugin. A
 * client that sends `"extensions": {"cost": true}` gets
 * `extensions.cost = {estimated, actual, limit}` in the answer, the actual cost
 * measured on the data returned.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { DemandTier, TierLimits } from '../../config/env';
import type { GatewayContext } from '../context';
import { CostCalculator, costDirectivesOf } from '../demand-control/cost';
import { gatewayError } from '../errors';

export function costAnalysisPlugin(
  supergraphSdl: string,
  tiers: Record<DemandTier, TierLimits>,
): ApolloServerPlugin<GatewayContext> {
  const directives = costDirectivesOf(supergraphSdl);
  // One calculator per API schema Apollo Server serves (it is rebuilt only with the schema).
  const calculators = new WeakMap<GraphQLSchema, CostCalculator>();
  const calculatorFor = (schema: GraphQLSchema) => {
    let calculator = calculators.get(schema);
    if (!calculator) {
      calculator = new CostCalculator(schema, directives);
      calculators.set(schema, calculator);
    }
    return calculator;
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          if (!operation) return;
          const limit = tiers[contextValue.principal.tier].cost;
          const estimated = calculatorFor(schema).estimate(document, operation, request.variables);
          contextValue.cost = { estimated, limit };
          if (estimated > limit) {
            throw gatewayError(
              'COST_ESTIMATED_TOO_EXPENSIVE',
              `The operation's estimated cost is ${estimated}; the limit for ${contextValue.principal.tier} callers is ${limit}. Ask for fewer fields or smaller pages.`,
              { cost: { estimated, limit } },
            );
          }
        },
        async willSendResponse({ schema, document, operation, request, response, contextValue }) {
          const asked = (request.extensions as { cost?: unknown } | undefined)?.cost;
          if (
            asked !== true ||
            !contextValue.cost ||
            !operation ||
            !document ||
            response.body.kind !== 'single'
          )
            return;
          const result = response.body.singleResult;
          const actual = calculatorFor(schema).actual(document, operation, request.variables, result.data);
          result.extensions = {
            ...result.extensions,
            cost: { estimated: contextValue.cost.estimated, actual, limit: contextValue.cost.limit },
          };
        },
      };
    },
  };
}
