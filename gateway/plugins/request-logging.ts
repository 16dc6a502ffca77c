/**
 * Logs one line per GraphQL operation: name, type, duration, error count and
 * codes. Clean operations log at debug (they are the bulk of traffic); operations
 * with errors log at info so they show at the default level. Query text and
 * variables are never logged: they can carry personal data, and `queryHash`
 * already identifies the document.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Logger } from 'pino';

export function requestLoggingPlugin(logger: Logger): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        // Runs for every request that reaches the pipeline, including ones that
        // fail to parse or validate. With incremental delivery it runs when the
        // initial payload is sent, so the duration covers that payload only.
        async willSendResponse({ operationName, operation, queryHash, response }) {
          const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
          // The formatted errors the client receives: request errors (parse,
          // validation) and field errors alike, with the codes after masking.
          const body = response.body;
          const all = (body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors) ?? [];
          const codes = [...new Set(all.map((e) => String(e.extensions?.code ?? 'UNKNOWN')))];
          const entry = {
            operationName: operationName ?? null,
            operationType: operation?.operation ?? null,
            queryHash,
            durationMs: Math.round(durationMs * 1000) / 1000,
            errors: all.length,
            ...(codes.length > 0 ? { errorCodes: codes } : {}),
            status: response.http.status ?? 200,
          };
          if (all.length > 0) logger.info(entry, 'graphql operation failed');
          else logger.debug(entry, 'graphql operation');
        },
      };
    },
  };
}
