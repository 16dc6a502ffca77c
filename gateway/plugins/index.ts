/**
 * Gateway plugins. Apollo Server plugins are the gateway's one extension
 * mechanism: each cross-cutting concern (logging, policy, audit, limits, metrics)
 * is one plugin in one file here, and `defaultPlugins` is the set every gateway
 * runs. Extra plugins passed to `startGateway` run after these, in order.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import { landingPageDisabledPlugin } from './landing-page-disabled';
import { requestLoggingPlugin } from './request-logging';

export { landingPageDisabledPlugin, requestLoggingPlugin };

export function defaultPlugins(logger: Logger): ApolloServerPlugin<BaseContext>[] {
  return [landingPageDisabledPlugin(), requestLoggingPlugin(logger.child({ plugin: 'request-logging' }))];
}
