/**
 * Small subgraphs for the differential test, chosen to cover federation's
 * execution semantics rather than a domain: entities owned by one subgraph and
 * extended by others (`@key`), a field needing another subgraph's fields
 * (`@requires`), a provided field (`@provides`), shared fields (`@shareable`),
 * an interface and a union, an entity interface implemented elsewhere
 * (`@interfaceObject`), non-null fields a subgraph fails to deliver, resolver
 * errors with extensions, entities a subgraph cannot find, and a stateless
 * mutation (which the sdp gateway hands to stock execution).
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError } from 'graphql';

export interface FixtureSubgraph {
  name: string;
  typeDefs: string;
  resolvers: GraphQLResolverMap<unknown>;
}

const link = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [${imports.map((i) => `"${i}"`).join(', ')}])`;

const PRODUCTS = [
  { id: 'p1', name: 'Table', price: 899, weight: 100, categoryId: 'c1' },
  { id: 'p2', name: 'Couch', price: 1299, weight: 1000, categoryId: 'c1' },
  { id: 'p3', name: 'Glass', price: 15, weight: 20, categoryId: 'c2' },
];
const CATEGORIES = [
  { id: 'c1', name: 'Furniture' },
  { id: 'c2', name: 'Küche – 厨房' },
];
const ITEMS = [
  { __typename: 'Book', id: 'i1', title: 'Dune', pages: 412 },
  { __typename: 'Movie', id: 'i2', title: 'Alien', minutes: 117 },
];
const USERS = [
  { id: 'u1', name: 'Ada', email: 'ada@example.org', nickname: 'ada' },
  { id: 'u2', name: 'Grace', email: 'grace@example.org', nickname: null },
];
const REVIEWS = [
  { id: 'r1', body: 'Sturdy 👍.', rating: 5, productId: 'p1', authorId: 'u1' },
  { id: 'r2', body: 'Wobbly.', rating: 2, productId: 'p1', authorId: 'u2' },
  { id: 'r3', body: 'Comfy.', rating: 4, productId: 'p2', authorId: 'u1' },
  // A review of a product the catalog does not know: its entity fetch answers null.
  { id: 'r4', body: 'Lost.', rating: 1, productId: 'p404', authorId: 'u1' },
];

const catalog: FixtureSubgraph = {
  name: 'catalog',
  typeDefs: `${link(['@key', '@shareable'])}
type Query {
  "Every product."
  products: [Product!]!
  "A product by id."
  product("Product id." id: ID!): Product
  "Products and categories whose name contains the term."
  search("Substring to look for." term: String!): [SearchResult!]!
  "Anything with an id."
  node("Id." id: ID!): Node
  "Books and movies."
  items: [Item!]!
}

"Something with an id."
interface Node {
  "Id."
  id: ID!
}

"A search hit."
union SearchResult = Product | Category

"A product."
type Product implements Node @key(fields: "id") {
  "Id."
  id: ID!
  "Name."
  name: String!
  "Price in cents."
  price: Int
  "Weight in grams."
  weight: Int
  "Its category."
  category: Category
}

"A category."
type Category implements Node {
  "Id."
  id: ID!
  "Name."
  name: String! @shareable
}

"A catalogue item, reviewed in the reviews subgraph."
interface Item @key(fields: "id") {
  "Id."
  id: ID!
  "Title."
  title: String!
}

"A book."
type Book implements Item @key(fields: "id") {
  "Id."
  id: ID!
  "Title."
  title: String!
  "Page count."
  pages: Int!
}

"A movie."
type Movie implements Item @key(fields: "id") {
  "Id."
  id: ID!
  "Title."
  title: String!
  "Running time."
  minutes: Int!
}

type Mutation {
  "Echoes its input (stateless, so both gateways can run it)."
  echo("Text." text: String!): String!
}
`,
  resolvers: {
    Query: {
      products: () => PRODUCTS,
      product: (_: unknown, { id }: { id: string }) => PRODUCTS.find((p) => p.id === id) ?? null,
      search: (_: unknown, { term }: { term: string }) => [
        ...PRODUCTS.filter((p) => p.name.toLowerCase().includes(term)).map((p) => ({
          ...p,
          __typename: 'Product',
        })),
        ...CATEGORIES.filter((c) => c.name.toLowerCase().includes(term)).map((c) => ({
          ...c,
          __typename: 'Category',
        })),
      ],
      node: (_: unknown, { id }: { id: string }) => {
        const product = PRODUCTS.find((p) => p.id === id);
        if (product) return { ...product, __typename: 'Product' };
        const category = CATEGORIES.find((c) => c.id === id);
        return category ? { ...category, __typename: 'Category' } : null;
      },
      items: () => ITEMS,
    },
    Mutation: { echo: (_: unknown, { text }: { text: string }) => text },
    Node: { __resolveType: (node: { __typename: string }) => node.__typename },
    SearchResult: { __resolveType: (hit: { __typename: string }) => hit.__typename },
    Item: {
      __resolveType: (item: { __typename: string }) => item.__typename,
      __resolveReference: ({ id }: { id: string }) => ITEMS.find((i) => i.id === id) ?? null,
    },
    Book: { __resolveReference: ({ id }: { id: string }) => ITEMS.find((i) => i.id === id) ?? null },
    Movie: { __resolveReference: ({ id }: { id: string }) => ITEMS.find((i) => i.id === id) ?? null },
    Product: {
      __resolveReference: ({ id }: { id: string }) => PRODUCTS.find((p) => p.id === id) ?? null,
      category: (p: { categoryId: string }) => CATEGORIES.find((c) => c.id === p.categoryId) ?? null,
    },
  },
};

const inventory: FixtureSubgraph = {
  name: 'inventory',
  typeDefs: `${link(['@key', '@external', '@requires'])}
"A product, as the warehouse knows it."
type Product @key(fields: "id") {
  "Id."
  id: ID!
  "Price (from catalog)."
  price: Int @external
  "Weight (from catalog)."
  weight: Int @external
  "In stock."
  inStock: Boolean!
  "Free above 1000, else half the weight."
  shippingEstimate: Int @requires(fields: "price weight")
  "Always fails, with a client-facing error and extensions."
  broken: String
  "Non-null, but always fails."
  brokenNonNull: String!
}
`,
  resolvers: {
    Product: {
      __resolveReference: (reference: { id: string }) => ({ ...reference, inStock: reference.id !== 'p2' }),
      shippingEstimate: ({ price, weight }: { price?: number | null; weight?: number | null }) =>
        price == null ? null : price > 1000 ? 0 : weight == null ? null : Math.trunc(weight / 2),
      broken: ({ id }: { id: string }) => {
        throw new GraphQLError(`inventory for ${id} is unavailable`, {
          extensions: { code: 'INVENTORY_DOWN', retryable: true },
        });
      },
      brokenNonNull: () => null,
    },
  },
};

const reviews: FixtureSubgraph = {
  name: 'reviews',
  typeDefs: `${link(['@key', '@external', '@provides', '@interfaceObject'])}
type Query {
  "The first reviews."
  topReviews("How many." first: Int = 2): [Review!]!
}

"A review."
type Review @key(fields: "id") {
  "Id."
  id: ID!
  "Text."
  body: String!
  "Stars."
  rating: Int!
  "The reviewed product."
  product: Product!
  "Who wrote it, with their name."
  author: User @provides(fields: "name")
}

"A user, as reviews know them."
type User @key(fields: "id") {
  "Id."
  id: ID!
  "Name (from users)."
  name: String @external
  "Their reviews."
  reviews: [Review!]!
}

"A product, as reviews know it."
type Product @key(fields: "id") {
  "Id."
  id: ID!
  "Its reviews."
  reviews: [Review!]!
}

"Any catalogue item, seen through its interface."
type Item @key(fields: "id") @interfaceObject {
  "Id."
  id: ID!
  "How many reviews it has."
  reviewCount: Int!
}
`,
  resolvers: {
    Query: { topReviews: (_: unknown, { first }: { first: number }) => REVIEWS.slice(0, first) },
    Review: {
      __resolveReference: ({ id }: { id: string }) => REVIEWS.find((r) => r.id === id) ?? null,
      product: (r: { productId: string }) => ({ id: r.productId }),
      author: (r: { authorId: string }) => {
        const user = USERS.find((u) => u.id === r.authorId);
        return user ? { id: user.id, name: user.name } : null;
      },
    },
    User: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      reviews: ({ id }: { id: string }) => REVIEWS.filter((r) => r.authorId === id),
    },
    Product: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      reviews: ({ id }: { id: string }) => REVIEWS.filter((r) => r.productId === id),
    },
    Item: {
      __resolveReference: ({ id }: { id: string }) => ({ id, reviewCount: id === 'i1' ? 3 : 0 }),
    },
  },
};

const users: FixtureSubgraph = {
  name: 'users',
  typeDefs: `${link(['@key', '@shareable'])}
type Query {
  "The signed-in user."
  me: User
}

"A user."
type User @key(fields: "id") {
  "Id."
  id: ID!
  "Name."
  name: String @shareable
  "Email."
  email: String
  "Nickname; Grace has none, which breaks this non-null field."
  nickname: String!
}
`,
  resolvers: {
    Query: { me: () => USERS[0] },
    User: {
      __resolveReference: ({ id }: { id: string }) => USERS.find((u) => u.id === id) ?? null,
    },
  },
};

/** Answers nothing: its URL points at a port nobody listens on. */
export const ghost: FixtureSubgraph = {
  name: 'ghost',
  typeDefs: `${link(['@key'])}
type Query {
  "Never answered."
  ghost: String
}

"A product, as the unreachable subgraph knows it."
type Product @key(fields: "id") {
  "Id."
  id: ID!
  "Never answered."
  haunted: String
}
`,
  resolvers: {},
};

/**
 * Subgraphs whose server misbehaves at the HTTP level (see the test): one
 * answers 503 with a text body, one answers 200 with a body that is not JSON.
 */
export const broken: readonly FixtureSubgraph[] = ['unavailable', 'garbled'].map((name) => ({
  name,
  typeDefs: `${link(['@key'])}
type Query {
  "Served by a broken server."
  ${name}: String
}

"A product, as the broken subgraph knows it."
type Product @key(fields: "id") {
  "Id."
  id: ID!
  "Served by a broken server."
  ${name}Field: String
}
`,
  resolvers: {},
}));

export const FIXTURE_SUBGRAPHS: readonly FixtureSubgraph[] = [catalog, inventory, reviews, users];
