/**
 * A document with several operations must name the one to run. Apollo Server
 * leaves the operation unresolved when `operationName` is missing or names no
 * operation, and the gateway's executor would then fail with a 500; this
 * refuses such a request first, with 400 and `OPERATION_RESOLUTION_FAILURE`.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../context';
import { gatewayError } from '../errors';

export function operationResolutionPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const name = request.operationName;
          throw gatewayError(
            'OPERATION_RESOLUTION_FAILURE',
            name
              ? `Unknown operation named "${name}".`
              : 'Must provide operation name if query contains multiple operations.',
          );
        },
      };
    },
  };
}
