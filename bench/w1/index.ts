/**
 * W1, entity fan-out: four small subgraphs (accounts, products, inventory,
 * reviews) in the shape of the public federation gateways benchmark, and its
 * deep query, which crosses them five levels down (users → reviews → product →
 * reviews → author → reviews → product, plus top products) and answers about
 * 90 KB of JSON.
 *
 * `startW1Subgraphs` serves the subgraphs on ephemeral ports and composes the
 * supergraph with their real URLs; a benchmark runs it in its own process so the
 * gateways under test do not share an event loop with their subgraphs.
 */
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { startStaticSubgraph, type RunningStaticSubgraph } from './server';
import { W1_SUBGRAPHS } from './subgraphs';

export const W1_QUERY = `fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query W1 {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}
`;

export interface RunningW1Subgraphs {
  /** The supergraph composed from the four subgraphs, routing to their real URLs. */
  supergraphSdl: string;
  /** Subgraph name → GraphQL endpoint. */
  urls: Record<string, string>;
  stop(): Promise<void>;
}

export async function startW1Subgraphs(options: { host?: string } = {}): Promise<RunningW1Subgraphs> {
  const host = options.host ?? '127.0.0.1';
  const running: RunningStaticSubgraph[] = [];
  const stop = async () => {
    await Promise.all(running.map((s) => s.stop()));
  };
  try {
    for (const subgraph of W1_SUBGRAPHS) running.push(await startStaticSubgraph(subgraph, { host }));
    const composed = composeServices(
      W1_SUBGRAPHS.map((subgraph, i) => ({
        name: subgraph.name,
        typeDefs: parse(subgraph.typeDefs),
        url: (running[i] as RunningStaticSubgraph).url,
      })),
    );
    if (composed.errors) {
      throw new Error(`W1 composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
    }
    return {
      supergraphSdl: composed.supergraphSdl,
      urls: Object.fromEntries(running.map((s) => [s.name, s.url])),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
