/**
 * The four W1 subgraphs (accounts, products, inventory, reviews), Federation 2
 * versions of the public federation gateways benchmark's subgraphs: `@key` on
 * every entity, `@requires` (inventory's shipping estimate needs products' price
 * and weight), `@provides` (a review's author comes with its username) and
 * `@shareable` (a user's username, which accounts owns and reviews can provide).
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { PRODUCTS, REVIEWS, USERS, type ReviewRow } from './data';

export interface W1Subgraph {
  name: string;
  typeDefs: string;
  resolvers: GraphQLResolverMap<unknown>;
}

const FEDERATION =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@requires", "@provides", "@external", "@shareable"])';

const userById = (id: string) => USERS.find((u) => u.id === id) ?? null;
const productByUpc = (upc: string) => PRODUCTS.find((p) => p.upc === upc) ?? null;
const reviewById = (id: string) => REVIEWS.find((r) => r.id === id) ?? null;
/** As in the benchmark, every user has written the first two reviews. */
const reviewsOfAnyUser = REVIEWS.slice(0, 2);

const accounts: W1Subgraph = {
  name: 'accounts',
  typeDefs: `${FEDERATION}
type Query {
  "The signed-in user (always user 1)."
  me: User
  "A user by id."
  user("User id." id: ID!): User
  "Every user."
  users: [User]
}

"A user account."
type User @key(fields: "id") {
  "User id."
  id: ID!
  "Full name."
  name: String
  "Login name."
  username: String @shareable
  "Birthday, seconds since the epoch."
  birthday: Int
}
`,
  resolvers: {
    Query: {
      me: () => USERS[0],
      user: (_: unknown, { id }: { id: string }) => userById(id),
      users: () => USERS,
    },
    User: {
      __resolveReference: ({ id }: { id: string }) => userById(id),
    },
  },
};

const products: W1Subgraph = {
  name: 'products',
  typeDefs: `${FEDERATION}
type Query {
  "The first products of the catalogue."
  topProducts("How many." first: Int = 5): [Product]
}

"A product in the catalogue."
type Product @key(fields: "upc") {
  "Universal product code."
  upc: String!
  "Product name."
  name: String
  "Price in cents."
  price: Int
  "Weight in grams."
  weight: Int
}
`,
  resolvers: {
    Query: {
      topProducts: (_: unknown, { first }: { first: number }) => PRODUCTS.slice(0, first),
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => productByUpc(upc),
    },
  },
};

const inventory: W1Subgraph = {
  name: 'inventory',
  typeDefs: `${FEDERATION}
"A product, as the warehouse knows it."
type Product @key(fields: "upc") {
  "Universal product code."
  upc: String!
  "Weight in grams (from products)."
  weight: Int @external
  "Price in cents (from products)."
  price: Int @external
  "Whether the warehouse has it."
  inStock: Boolean
  "Shipping cost estimate: free above 1000, else half the weight."
  shippingEstimate: Int @requires(fields: "price weight")
}
`,
  resolvers: {
    Product: {
      // The representation carries price and weight when @requires asked for them.
      __resolveReference: (reference: { upc: string; price?: number | null; weight?: number | null }) => {
        const row = productByUpc(reference.upc);
        return row === null ? null : { ...reference, inStock: row.inStock };
      },
      shippingEstimate: ({ price, weight }: { price?: number | null; weight?: number | null }) => {
        if (price === undefined || price === null) return null;
        if (price > 1000) return 0;
        return weight === undefined || weight === null ? null : Math.trunc(weight / 2);
      },
    },
  },
};

const reviews: W1Subgraph = {
  name: 'reviews',
  typeDefs: `${FEDERATION}
"A product review."
type Review @key(fields: "id") {
  "Review id."
  id: ID!
  "Review text."
  body: String
  "The reviewed product."
  product: Product
  "Who wrote it; comes with the username."
  author: User @provides(fields: "username")
}

"A user, as reviews know them."
type User @key(fields: "id") {
  "User id."
  id: ID!
  "Login name (from accounts)."
  username: String @external
  "Reviews this user wrote."
  reviews: [Review]
}

"A product, as reviews know it."
type Product @key(fields: "upc") {
  "Universal product code."
  upc: String!
  "Reviews of this product."
  reviews: [Review]
}
`,
  resolvers: {
    Review: {
      __resolveReference: ({ id }: { id: string }) => reviewById(id),
      product: (review: ReviewRow) => ({ upc: review.productUpc }),
      // As in the benchmark: every review's author is user 1, username provided.
      author: () => ({ id: '1', username: 'urigo' }),
    },
    User: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      reviews: () => reviewsOfAnyUser,
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
      reviews: ({ upc }: { upc: string }) => REVIEWS.filter((r) => r.productUpc === upc),
    },
  },
};

export const W1_SUBGRAPHS: readonly W1Subgraph[] = [accounts, products, inventory, reviews];
