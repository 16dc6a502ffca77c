/**
 * A data product made of a hand-written SDL file and resolvers, with no store
 * and no streams: for tests of the gateway and the subgraph server that need
 * real subgraphs but no product's data. Its request context is the request
 * itself (the verified principal and the deadline signal).
 */
import { anonymousPrincipal } from '../../platform/principal';
import type { DataProduct, ProductRequest, ProductStore } from '../../platform/product';

/** A store with nothing in it. */
export const NO_STORE: ProductStore = { description: 'none', durable: false, close: async () => {} };

export function sdlProduct(
  name: string,
  sdlPath: string,
  resolvers: DataProduct<ProductStore, ProductRequest>['resolvers'],
): DataProduct<ProductStore, ProductRequest> {
  return {
    name,
    description: `Test ${name}.`,
    owner: 'test',
    exampleQuery: '{ __typename }',
    portOffset: 0,
    sdlPath,
    openStore: async () => NO_STORE,
    context: (_store, request) =>
      request ?? { principal: anonymousPrincipal('test'), signal: new AbortController().signal },
    streams: [],
    resolvers,
  };
}
