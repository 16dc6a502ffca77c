/**
 * Internal errors reach clients as `Internal server error` with the request id
 * (`extensions.requestId`, also the `x-request-id` response header), never with
 * their text; the text is logged here with the same id, so an operator finds
 * it from what the client reports. The masking itself is Apollo Server's
 * `formatError` (gateway/errors.ts `maskInternalError`), which also covers the
 * failures that never reach plugins; this plugin adds the id and the log line.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { GatewayContext } from '../context';

export function errorMaskingPlugin(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (error.extensions?.code !== undefined && error.extensions.code !== 'INTERNAL_SERVER_ERROR')
              continue;
            if (error.originalError === undefined || error.originalError === null) continue;
            logger.error(
              {
                err: error.originalError,
                path: error.path,
                requestId: contextValue.requestId,
                operationName,
              },
              'internal error (masked for the client)',
            );
          }
        },
        async willSendResponse({ response, contextValue }) {
          response.http.headers.set('x-request-id', contextValue.requestId);
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) return;
          response.body.singleResult.errors = errors.map((e) =>
            e.extensions?.code === 'INTERNAL_SERVER_ERROR'
              ? { ...e, extensions: { ...e.extensions, requestId: contextValue.requestId } }
              : e,
          );
        },
      };
    },
  };
}
