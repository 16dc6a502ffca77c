/**
 * Turns off Apollo Server's built-in landing page. Its default (Apollo Sandbox in
 * development, a static page in production) loads scripts from Apollo's CDN,
 * which our machines cannot reach; the gateway serves its own offline GraphiQL at
 * `/` instead (gateway/graphiql.ts). Nothing else is disabled here: usage and
 * schema reporting are off anyway without APOLLO_KEY.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';

export function landingPageDisabledPlugin(): ApolloServerPlugin<BaseContext> {
  return ApolloServerPluginLandingPageDisabled();
}
