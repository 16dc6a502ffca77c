/**
 * The parts of the sdp execution engine that re-implement stock gateway code
 * for speed, checked against stock itself on inputs the differential test
 * cannot easily produce through real subgraphs: malformed subgraph data (wrong
 * leaf types, unknown `__typename`s), non-null violations at every depth,
 * @skip/@include by variable, and the list flattening of entity paths.
 */
import { composeServices } from '@apollo/composition';
import {
  isValidLeafValue,
  operationFromDocument,
  Supergraph,
  type EnumType,
  type ScalarType,
} from '@apollo/federation-internals';
import { computeResponse } from '@apollo/gateway/dist/resultShaping';
import { buildSchema, parse } from 'graphql';
import type { FetchNode } from '@apollo/query-planner';
import {
  collectPlainRepresentations,
  collectRepresentations,
  flattenResultsAtPath,
} from '../../gateway/execution/execute-plan';
import { responseObject } from '../../gateway/execution/response-object';
import {
  compileOperation,
  computeCompiledResponse,
  leafValidator,
} from '../../gateway/execution/result-shaping';

const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query {
  "Things."
  things: [Thing!]!
  "A thing."
  thing: Thing
  "A matrix of numbers."
  matrix: [[Int!]]
  "Something."
  any: Anything
}
"A thing."
type Thing @key(fields: "id") {
  "Id."
  id: ID!
  "Count."
  count: Int
  "Required count."
  must: Int!
  "Kind."
  kind: Kind
  "Children."
  children: [Thing]
}
"A kind."
enum Kind {
  "Big."
  BIG
  "Small."
  SMALL
}
"Something else."
type Other {
  "Label."
  label: String!
}
"Either."
union Anything = Thing | Other
`;

const composed = composeServices([{ name: 'a', typeDefs: parse(SDL), url: 'http://127.0.0.1:1/graphql' }]);
if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
const apiSchema = Supergraph.build(composed.supergraphSdl).apiSchema();

function both(query: string, input: Record<string, unknown>, variables?: Record<string, unknown>) {
  const operation = operationFromDocument(apiSchema, parse(query), { validate: false });
  const introspectionHandling = () => 'introspected';
  const run = (f: () => unknown) => {
    try {
      return { result: f() };
    } catch (error) {
      return { thrown: (error as Error).message };
    }
  };
  // Each side gets its own copy: nothing may depend on the other's mutations.
  const copy = () => JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  const stock = run(() => computeResponse({ operation, variables, input: copy(), introspectionHandling }));
  const sdp = run(() =>
    computeCompiledResponse({
      compiled: compileOperation(operation),
      variables,
      input: copy(),
      introspectionHandling,
    }),
  );
  return { stock: JSON.parse(JSON.stringify(stock)), sdp: JSON.parse(JSON.stringify(sdp)) };
}

describe('compiled result shaping matches stock computeResponse', () => {
  const cases: [string, string, Record<string, unknown>, Record<string, unknown>?][] = [
    [
      'aliases, __typename and fragments',
      `{ t: thing { __typename a: id ... on Thing { count kind } kind2: kind } }`,
      { t: { __typename: 'Thing', a: '1', count: 3, kind: 'BIG', kind2: 'SMALL' } },
    ],
    [
      'a non-null leaf missing deep in lists bubbles to the nearest nullable',
      `{ things { id children { id must } } }`,
      {
        things: [
          {
            id: '1',
            children: [
              { id: '2', must: 1 },
              { id: '3', must: null },
            ],
          },
          { id: '4', children: null },
        ],
      },
    ],
    [
      'a non-null violation reaching the root nulls data',
      `{ things { id must } }`,
      { things: [{ id: '1', must: null }] },
    ],
    [
      'invalid leaf values and an unknown enum value',
      `{ thing { count kind id } }`,
      { thing: { count: 'three', kind: 'HUGE', id: 1.5 } },
    ],
    ['an unknown __typename', `{ thing { id } }`, { thing: { __typename: 'Nope', id: '1' } }],
    [
      'union members chosen by __typename',
      `{ any { __typename ... on Other { label } ... on Thing { id } } }`,
      { any: { __typename: 'Other', label: 'x' } },
    ],
    [
      '@skip and @include by variable and literal',
      `query Q($s: Boolean!, $i: Boolean = false) { thing { id @skip(if: $s) count @include(if: $i) kind @include(if: true) } }`,
      { thing: { id: '1', count: 2, kind: 'BIG' } },
      { s: true },
    ],
    [
      'a non-boolean @skip variable (stock asserts)',
      `query Q($s: Boolean!) { thing { id @skip(if: $s) } }`,
      { thing: { id: '1' } },
      { s: 'yes' },
    ],
    ['nested lists with nulls', `{ matrix }`, { matrix: [[1, 2], null, [3, null]] }],
    ['a list where an object is expected (stock asserts)', `{ thing { id } }`, { thing: [{ id: '1' }] }],
    [
      'introspection next to data',
      `{ __typename __schema { queryType { name } } thing { id } }`,
      { thing: { id: '1' } },
    ],
    ['missing data', `{ thing { id } things { id } }`, {}],
  ];

  for (const [name, query, input, variables] of cases) {
    it(name, () => {
      const { stock, sdp } = both(query, input, variables);
      expect(sdp).toEqual(stock);
    });
  }
});

/** Stock's `flattenResultsAtPath` (@apollo/gateway 2.14 executeQueryPlan.ts; not exported there). */
function stockFlatten(value: unknown, path: (string | number)[]): unknown {
  if (path.length === 0) return value;
  if (value === undefined || value === null) return value;
  const [current, ...rest] = path;
  if (current === '@') return (value as unknown[]).flatMap((element) => stockFlatten(element, rest));
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${current}`);
  return stockFlatten(
    Object.prototype.hasOwnProperty.call(value, current as string)
      ? (value as Record<string, unknown>)[current as string]
      : undefined,
    rest,
  );
}

describe('entity path flattening matches stock', () => {
  // A fixed pseudo-random generator: the same trees on every run.
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  function tree(path: (string | number)[], depth = 0): unknown {
    const r = random();
    if (r < 0.1) return null;
    if (r < 0.13) return undefined;
    if (path.length === 0 || depth > 6) return r < 0.5 ? { id: Math.floor(random() * 5) } : [{ id: 1 }, null];
    const [head, ...rest] = path;
    if (head === '@') {
      if (r < 0.15) return { notAList: true };
      return Array.from({ length: Math.floor(random() * 4) }, () => tree(rest, depth + 1));
    }
    return r < 0.15 ? [1] : { [head as string]: tree(rest, depth + 1), other: 1 };
  }
  const paths = [
    ['a'],
    ['a', '@'],
    ['a', '@', 'b'],
    ['a', '@', 'b', '@'],
    ['@', 'x', '@', 'y'],
    ['a', 'b', '@', 'c', 'd', '@', 'e'],
    ['@', '@'],
  ];

  for (const path of paths) {
    it(path.join('.'), () => {
      for (let i = 0; i < 2_000; i++) {
        const data = tree(path);
        const outcome = (f: () => unknown) => {
          try {
            return { value: f() };
          } catch (error) {
            return { thrown: (error as Error).message };
          }
        };
        const stock = outcome(() => stockFlatten(data, path));
        const sdp = outcome(() => flattenResultsAtPath(data, path));
        expect(sdp).toEqual(stock);
        // Same elements, not merely equal ones: entities are merged into in place.
        if ('value' in stock && Array.isArray(stock.value)) {
          expect(
            (sdp as { value: unknown[] }).value.every((v, j) => v === (stock.value as unknown[])[j]),
          ).toBe(true);
        }
      }
    });
  }
});

describe('entity representations', () => {
  // A fixed pseudo-random generator: the same entities on every run.
  let seed = 11;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  // Values that look alike but are different JSON ('1' and 1, null and a missing
  // field), objects and lists (custom scalars, list keys), falsy typenames.
  const VALUES: readonly unknown[] = [
    '1',
    1,
    '2',
    2,
    true,
    'true',
    null,
    0,
    -0,
    '',
    { a: 1 },
    [1, 2],
    [1, 2],
  ];
  const TYPENAMES: readonly unknown[] = ['Product', 'Product', 'Product', 'User', 'Unknown', '', null];
  const FIELDS = ['__typename', 'upc', 'sku'];
  const schema = buildSchema(`
    type Query { node: Node }
    interface Node { upc: ID }
    type Product implements Node { upc: ID sku: ID }
    type User { upc: ID sku: ID }
  `);
  const fields = FIELDS.map((name) => ({ kind: 'Field', name }));
  // Plain fields, and the shape query plans use: one inline fragment on the
  // entity type (an object type, or an interface the entity implements).
  const variants: [string, FetchNode, string | undefined][] = [
    ['plain fields', { requires: fields } as unknown as FetchNode, undefined],
    ...['Product', 'Node'].map((on): [string, FetchNode, string] => [
      `fields in a fragment on ${on}`,
      {
        requires: [{ kind: 'InlineFragment', typeCondition: on, selections: fields }],
      } as unknown as FetchNode,
      on,
    ]),
  ];

  function entity(): Record<string, unknown> {
    const result: Record<string, unknown> = { extra: pick(VALUES) };
    for (const field of FIELDS) {
      const r = random();
      if (r < 0.05) continue; // missing: no representation
      if (r < 0.08) result[field] = undefined;
      else result[field] = field === '__typename' ? pick(TYPENAMES) : pick(VALUES);
    }
    return result;
  }

  it.each(variants)(
    '%s: the trie finds exactly the duplicates the general path finds by JSON',
    (_, fetch, on) => {
      for (let run = 0; run < 500; run++) {
        const entities = Array.from({ length: 1 + Math.floor(random() * 40) }, entity);
        const general = collectRepresentations(schema, fetch, entities);
        const plain = collectPlainRepresentations(schema, entities, { typeCondition: on, fields: FIELDS });
        expect(JSON.stringify(plain.distinct)).toBe(JSON.stringify(general.distinct));
        expect(plain.twin).toEqual(general.twin);
        expect(plain.toEntity).toEqual(general.toEntity);
        // A list-valued field is copied, never shared with the entity.
        plain.distinct.forEach((representation, i) => {
          const source = entities[plain.toEntity[plain.twin.indexOf(i)] as number] as Record<string, unknown>;
          for (const field of FIELDS) {
            if (Array.isArray(source[field])) expect(representation[field]).not.toBe(source[field]);
          }
        });
      }
    },
  );

  it('without __typename among the fields there is no representation, as in stock', () => {
    const entities = [{ __typename: 'Product', upc: '1' }];
    const fetch = { requires: [{ kind: 'Field', name: 'upc' }] } as unknown as FetchNode;
    expect(collectPlainRepresentations(schema, entities, { fields: ['upc'] }).twin).toEqual([]);
    expect(collectRepresentations(schema, fetch, entities).twin).toEqual([]);
  });
});

describe('responseObject', () => {
  it('inherits nothing, so any field name is a plain own key, as with Object.create(null)', () => {
    // Field names as the engine sees them: strings from the operation.
    const object: Record<string, unknown> = responseObject();
    const [proto, constructor, toString] = ['__proto__', 'constructor', 'toString'];
    expect(object[toString as string]).toBeUndefined();
    expect(object[constructor as string]).toBeUndefined();
    expect('hasOwnProperty' in object).toBe(false);
    object[proto as string] = 'a field';
    object[constructor as string] = 1;
    expect(Object.keys(object)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(object)).toBe('{"__proto__":"a field","constructor":1}');
    expect(Object.getPrototypeOf(Object.getPrototypeOf(object))).toBeNull();
  });
});

describe('leaf value checks match stock isValidLeafValue', () => {
  const schema = apiSchema;
  const VALUES: readonly unknown[] = [
    true,
    false,
    0,
    -0,
    1,
    -7,
    1.5,
    1e21,
    2 ** 53,
    NaN,
    Infinity,
    '',
    '1',
    'BIG',
    'SMALL',
    'big',
    null,
    undefined,
    {},
    [1],
  ];
  const types = ['Int', 'Float', 'String', 'Boolean', 'ID', 'Kind'].map((name) => schema.type(name));
  it.each(types.map((type) => [String(type), type]))('%s', (_name, type) => {
    const check = leafValidator(schema, type as ScalarType | EnumType);
    for (const value of VALUES) {
      expect([value, check(value)]).toEqual([
        value,
        isValidLeafValue(schema, value, type as ScalarType | EnumType),
      ]);
    }
  });
});
