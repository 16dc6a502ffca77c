/**
 * A product's subgraph schema served in-process (no HTTP), for resolver and
 * batching tests: operations run through Apollo Server with a fresh product
 * context over the store the test gives, as the platform's subgraph server does.
 */
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { DataProduct, ProductStore } from '../../platform/product';
import { anonymousPrincipal } from '../../platform/principal';

export interface OperationResult {
  data?: Record<string, unknown> | null;
  errors?: readonly {
    message: string;
    path?: readonly (string | number)[];
    extensions?: Record<string, unknown>;
  }[];
}

export interface ProductOperations {
  /** The whole result, errors included. */
  run(query: string, variables?: Record<string, unknown>): Promise<OperationResult>;
  /** The data of a result that must have no errors. */
  data<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** Serves `product`'s subgraph; each operation gets a context over `store()` as it is at that moment. */
export async function serveProduct<TStore extends ProductStore, TContext extends object>(
  product: DataProduct<TStore, TContext>,
  store: () => TStore,
): Promise<ProductOperations> {
  const server = new ApolloServer<TContext>({
    schema: buildSubgraphSchema([
      { typeDefs: parse(readFileSync(product.sdlPath, 'utf8')), resolvers: product.resolvers },
    ]),
  });
  await server.start();
  const run = async (query: string, variables?: Record<string, unknown>): Promise<OperationResult> => {
    const res = await server.executeOperation(
      { query, variables },
      {
        contextValue: product.context(store(), {
          principal: anonymousPrincipal('test'),
          signal: new AbortController().signal,
        }),
      },
    );
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult as OperationResult;
  };
  return {
    run,
    async data<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      const result = await run(query, variables);
      expect(result.errors).toBeUndefined();
      return result.data as T;
    },
    stop: () => server.stop(),
  };
}

/** A store that counts calls per method; everything else passes through to the real store. */
export function countingStore<T extends object>(real: T): { store: T; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}
