/**
 * Apollo Server's gateway contract, named. `@apollo/server-gateway-interface`
 * is not a direct dependency, so the types are taken from what
 * `@apollo/server` itself accepts as its `gateway` option.
 */
import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';

export type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
export type GatewayLoadResult = Awaited<ReturnType<GatewayInterface['load']>>;
export type GatewayExecutor = NonNullable<GatewayLoadResult['executor']>;
export type GatewayRequestContext = Parameters<GatewayExecutor>[0];
export type GatewayExecutionResult = Awaited<ReturnType<GatewayExecutor>>;
export type SchemaLoadOrUpdateCallback = Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0];
