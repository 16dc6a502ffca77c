/**
 * The authorization steps (gateway/policy/authorize.ts) on a schema with what
 * the products' schema does not have yet: an interface, a union, a type-level
 * directive, non-null fields inside lists. End-to-end behaviour on the real
 * products is in test/e2e/access-*.test.ts.
 */
import { buildSchema, parse, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import {
  analyzeDocument,
  completeResult,
  grantsKey,
  planAuthorization,
} from '../../gateway/policy/authorize';
import { readAccessRules, type Grants } from '../../gateway/policy/requirements';

const SDL = `
directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT
directive @authenticated on FIELD_DEFINITION | OBJECT
directive @policy(policies: [[String!]!]!) on FIELD_DEFINITION | OBJECT
type Query { people: [Person] search: [Result] me: Account open: String }
interface Person { id: ID! email: String }
type Staff implements Person {
  id: ID!
  email: String @requiresScopes(scopes: [["pii:read"]])
  badge: String! @requiresScopes(scopes: [["hr:read"], ["admin"]])
  notes: String @policy(policies: [["need-to-know"]])
}
type Visitor implements Person { id: ID! email: String }
union Result = Staff | Visitor
type Account @authenticated { id: ID! }
`;
const schema = buildSchema(SDL);
const rules = readAccessRules(SDL, {});
const QUERY = `{
  people { id email ... on Staff { badge } }
  search { ... on Visitor { email } }
  me { id }
  open
}`;

function prepare(query: string, grants: Grants) {
  const document: DocumentNode = parse(query);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const analysis = analyzeDocument(schema, rules, document)!;
  const key = grantsKey(rules, analysis, grants);
  const plan = planAuthorization({ schema, analysis, document, operation, queryHash: 'h', grants, key });
  return { document, operation, analysis, plan, key };
}

const nobody: Grants = { authenticated: false, scopes: new Set(), policies: new Set() };
const everyone: Grants = {
  authenticated: true,
  scopes: new Set(['pii:read', 'hr:read', 'unrelated']),
  policies: new Set(['need-to-know']),
};

test('a document without protected fields needs nothing', () => {
  expect(analyzeDocument(schema, rules, parse('{ open search { ... on Visitor { id } } }'))).toBeUndefined();
});

test('denied selections become placeholders; abstract selections holding protected ones get a type name to walk by', () => {
  const { plan } = prepare(QUERY, nobody);
  expect([...plan.denied.values()].sort()).toEqual(['Query.me', 'Staff.badge', 'Staff.email']);
  expect(print(plan.rewrite!.document)).toBe(
    print(
      parse(`{
        people { id email: __typename ... on Staff { badge: __typename } __sdp_typename: __typename }
        search { ... on Visitor { email } }
        me: __typename
        open
      }`),
    ),
  );
});

test('cache keys tell apart only what the rules can: unrelated scopes do not split the cache', () => {
  const analysis = analyzeDocument(schema, rules, parse(QUERY))!;
  const withUnrelated = { ...nobody, scopes: new Set(['unrelated', 'other']) };
  expect(grantsKey(rules, analysis, withUnrelated)).toBe(grantsKey(rules, analysis, nobody));
  expect(grantsKey(rules, analysis, everyone)).not.toBe(grantsKey(rules, analysis, nobody));
});

test('nulls at the denied paths, propagated through non-null fields, type names removed, counts', () => {
  const { document, operation, plan } = prepare(QUERY, nobody);
  // What the engine answers for the rewritten document.
  const data = {
    people: [
      { id: '1', email: 'Staff', badge: 'Staff', __sdp_typename: 'Staff' },
      { id: '2', email: 'Visitor', __sdp_typename: 'Visitor' },
    ],
    search: [{ email: 'v@example.org' }, {}],
    me: 'Query',
    open: 'yes',
  };
  const {
    data: completed,
    errors,
    counts,
  } = completeResult({
    schema,
    document,
    operation,
    variables: {},
    plan,
    data,
  });
  // Staff.badge is String!: its null takes the person with it; the list items are nullable.
  expect(completed).toEqual({
    people: [null, { id: '2', email: null }],
    search: [{ email: 'v@example.org' }, {}],
    me: null,
    open: 'yes',
  });
  expect(errors.map((e) => [e.path, e.extensions.code])).toEqual([
    [['people', 0, 'email'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
    [['people', 0, 'badge'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
    [['people', 1, 'email'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
    [['me'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
  ]);
  // On an interface, a field some implementation protects is denied for all of them (deny when in doubt).
  expect(Object.fromEntries(counts)).toEqual({
    'Staff.email': { returned: 0, denied: 2 },
    'Staff.badge': { returned: 0, denied: 1 },
    'Query.me': { returned: 0, denied: 1 },
  });
});

test('a non-null chain up to the root nulls `data`', () => {
  const sdl = `directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION
    type Query { thing: Thing! } type Thing { secret: String! @requiresScopes(scopes: [["s"]]) }`;
  const local = buildSchema(sdl);
  const localRules = readAccessRules(sdl, {});
  const document = parse('{ thing { secret } }');
  const operation = document.definitions[0] as OperationDefinitionNode;
  const analysis = analyzeDocument(local, localRules, document)!;
  const plan = planAuthorization({
    schema: local,
    analysis,
    document,
    operation,
    queryHash: 'h',
    grants: nobody,
    key: 'k',
  });
  const result = completeResult({
    schema: local,
    document,
    operation,
    variables: {},
    plan,
    data: { thing: { secret: 'Thing' } },
  });
  expect(result.data).toBeNull();
  expect(result.errors.map((e) => e.path)).toEqual([['thing', 'secret']]);
});

test('with every grant nothing is denied; values are counted; denyAll withholds them (audit down)', () => {
  const { document, operation, plan } = prepare(QUERY, everyone);
  expect(plan.denied.size).toBe(0);
  const data = () => ({
    people: [
      { id: '1', email: 's@example.org', badge: 'B-7', __sdp_typename: 'Staff' },
      { id: '2', email: null, __sdp_typename: 'Visitor' },
    ],
    search: [],
    me: { id: 'a1' },
    open: 'yes',
  });
  const served = completeResult({ schema, document, operation, variables: {}, plan, data: data() });
  expect(served.data).toEqual({
    people: [
      { id: '1', email: 's@example.org', badge: 'B-7' },
      { id: '2', email: null },
    ],
    search: [],
    me: { id: 'a1' },
    open: 'yes',
  });
  expect(served.errors).toEqual([]);
  expect(Object.fromEntries(served.counts)).toEqual({
    'Staff.email': { returned: 1, denied: 0 },
    'Staff.badge': { returned: 1, denied: 0 },
    'Query.me': { returned: 1, denied: 0 },
  });
  const withheld = completeResult({
    schema,
    document,
    operation,
    variables: {},
    plan,
    data: data(),
    denyAll: { code: 'AUDIT_UNAVAILABLE', message: 'withheld' },
  });
  expect(withheld.data).toEqual({
    people: [null, { id: '2', email: null }],
    search: [],
    me: null,
    open: 'yes',
  });
  expect(new Set(withheld.errors.map((e) => e.extensions.code))).toEqual(new Set(['AUDIT_UNAVAILABLE']));
});

test('@skip and @include are honoured on the way back as on the way in', () => {
  const query = 'query ($show: Boolean!) { people { id email @include(if: $show) } }';
  const { document, operation, plan } = prepare(query, nobody);
  const hidden = completeResult({
    schema,
    document,
    operation,
    variables: { show: false },
    plan,
    data: { people: [{ id: '1', __sdp_typename: 'Staff' }] },
  });
  expect(hidden).toMatchObject({ data: { people: [{ id: '1' }] }, errors: [] });
});

test('a sensitivity class without configured scopes is readable by nobody', () => {
  const sdl = `enum SensitivityClass { PII HEALTH }
    directive @sensitive(class: SensitivityClass!) on FIELD_DEFINITION | ARGUMENT_DEFINITION
    type Query { a: String @sensitive(class: PII) b: String @sensitive(class: HEALTH) }`;
  const local = buildSchema(sdl);
  const localRules = readAccessRules(sdl, { PII: ['pii:read'] });
  const document = parse('{ a b }');
  const operation = document.definitions[0] as OperationDefinitionNode;
  const analysis = analyzeDocument(local, localRules, document)!;
  const grants: Grants = {
    authenticated: true,
    scopes: new Set(['pii:read', 'health:read']),
    policies: new Set(),
  };
  const plan = planAuthorization({
    schema: local,
    analysis,
    document,
    operation,
    queryHash: 'h',
    grants,
    key: 'k',
  });
  expect([...plan.denied.values()]).toEqual(['Query.b']);
  expect([...plan.allowed.values()]).toEqual(['Query.a']);
});
