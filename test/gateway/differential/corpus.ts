/**
 * The queries both gateways must answer identically. `outcome` is the kind of
 * answer each case must produce, so a case cannot silently turn into another
 * (two identical "unknown field" answers would also be equal):
 * - `data`: data, no errors;
 * - `partial`: data with some fields nulled, and errors;
 * - `null-data`: errors, and a null bubbled all the way to `data`;
 * - `value-completion`: the gateway itself found a non-null violation, reported
 *   (as stock does) under `extensions.valueCompletion` rather than `errors`;
 * - `refused`: errors and no `data` at all (the request was refused up front).
 */
export type Outcome = 'data' | 'partial' | 'null-data' | 'value-completion' | 'refused';

export interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  outcome: Outcome;
}

export const CORPUS: readonly Case[] = [
  {
    name: 'entities across three subgraphs, @requires and @provides',
    query: `{ products { id name inStock shippingEstimate reviews { rating author { name email } } } }`,
    outcome: 'data',
  },
  {
    name: 'aliases, including on __typename and on entity fields',
    query: `{
      first: product(id: "p1") { kind: __typename n: name cost: price est: shippingEstimate }
      second: product(id: "p2") { n: name stocked: inStock }
      missing: product(id: "p9") { id }
    }`,
    outcome: 'data',
  },
  {
    name: 'an alias named __proto__ (a key, not a prototype)',
    query: `{ __proto__: product(id: "p1") { constructor: name id } }`,
    outcome: 'data',
  },
  {
    name: 'variables, defaults and @include',
    query: `query One($id: ID!, $withReviews: Boolean = true) {
      product(id: $id) { name reviews @include(if: $withReviews) { body } }
    }`,
    variables: { id: 'p1' },
    outcome: 'data',
  },
  {
    name: 'variables turning a conditional branch off',
    query: `query One($id: ID!, $withReviews: Boolean = true) {
      product(id: $id) { name reviews @include(if: $withReviews) { body } }
    }`,
    variables: { id: 'p2', withReviews: false },
    outcome: 'data',
  },
  {
    name: '@skip on a field planned in another subgraph',
    query: `query Skip($skip: Boolean!) { products { id inStock @skip(if: $skip) price @skip(if: true) } }`,
    variables: { skip: true },
    outcome: 'data',
  },
  {
    name: 'named and inline fragments on a union',
    query: `fragment P on Product { id name inStock }
      { search(term: "a") { __typename ...P ... on Category { id name } } }`,
    outcome: 'data',
  },
  {
    name: 'interface with type conditions',
    query: `{ a: node(id: "c1") { __typename id ... on Category { name } }
              b: node(id: "p3") { id ... on Product { name shippingEstimate } } }`,
    outcome: 'data',
  },
  {
    name: 'entity interface resolved through @interfaceObject',
    query: `{ items { __typename id title reviewCount ... on Book { pages } ... on Movie { minutes } } }`,
    outcome: 'data',
  },
  {
    name: 'operation chosen by name among several',
    query: `query A { products { id } } query B { topReviews(first: 3) { id product { id name } } }`,
    operationName: 'B',
    outcome: 'data',
  },
  {
    name: 'a resolver error with extensions, partial data',
    query: `{ products { id name broken } }`,
    outcome: 'partial',
  },
  {
    name: 'the same failing entity requested many times (de-duplicated representations)',
    query: `{ topReviews(first: 3) { id product { id broken } } }`,
    outcome: 'partial',
  },
  {
    name: 'a non-null field a subgraph fails: null propagates to the nearest nullable parent',
    query: `{ products { id brokenNonNull } }`,
    outcome: 'null-data',
  },
  {
    name: 'a non-null field missing in the subgraph answer, nested under lists',
    query: `{ topReviews(first: 2) { id author { id name nickname } } }`,
    outcome: 'partial',
  },
  {
    name: 'an entity a subgraph cannot find (null in _entities) under a non-null field',
    query: `{ topReviews(first: 4) { id product { id name } } }`,
    outcome: 'value-completion',
  },
  {
    name: 'a subgraph that is down, for an entity field',
    query: `{ products { id name haunted } }`,
    outcome: 'partial',
  },
  {
    name: 'a subgraph that is down, for a root field',
    query: `{ ghost products { id } }`,
    outcome: 'partial',
  },
  {
    name: 'a subgraph answering HTTP 503 with a text body',
    query: `{ products { id unavailableField } unavailable }`,
    outcome: 'partial',
  },
  {
    name: 'a subgraph answering 200 with a body that is not JSON',
    query: `{ products { id garbledField } }`,
    outcome: 'partial',
  },
  {
    name: 'invalid variables',
    query: `query One($id: ID!) { product(id: $id) { id } }`,
    variables: { id: { nested: true } },
    outcome: 'refused',
  },
  {
    name: 'introspection next to federated fields',
    query: `{ __typename products { id } __type(name: "Item") { kind possibleTypes { name } } }`,
    outcome: 'data',
  },
  {
    name: 'a mutation (runs on stock execution in sdp)',
    query: `mutation { echo(text: "hi") }`,
    outcome: 'data',
  },
];
