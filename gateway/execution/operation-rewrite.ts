/**
 * The one way a plugin changes what the engine executes for a request: it
 * registers an `OperationRewrite` on the request's context (before execution,
 * e.g. in `didResolveOperation`), and the engine plans and runs the rewritten
 * document on whichever path serves it (the fast path or the stock
 * ApolloGateway inside it), then hands the result to `complete` before Apollo
 * Server formats it. The access policy (gateway/plugins/authorization.ts) uses
 * it to take unauthorized fields out of an operation before planning.
 */
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { GatewayExecutionResult } from './types';

export interface OperationRewrite {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Identifies the rewritten document in plan caches (the engine's and stock's); stable for equal rewrites. */
  queryHash: string;
  /** Runs on the execution result before it goes back to Apollo Server. */
  complete(result: GatewayExecutionResult): Promise<GatewayExecutionResult>;
}

const rewrites = new WeakMap<object, OperationRewrite>();

/** Registers `rewrite` for the request whose context value is `context`. */
export function setOperationRewrite(context: object, rewrite: OperationRewrite): void {
  rewrites.set(context, rewrite);
}

export function operationRewriteOf(context: object): OperationRewrite | undefined {
  return rewrites.get(context);
}
