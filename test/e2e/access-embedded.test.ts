/**
 * The access policy on the embedded platform (the quick start's setup, with
 * this test's own events): a schema-wide property test over every protected
 * coordinate of the composed supergraph, the stock execution path, the audit
 * (exactly one event per protected read; protected fields refused when it
 * cannot be written), reject mode, subgraph bypass, CORS and GraphiQL's CSP.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import {
  getNamedType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { loadConfig, type SdpConfig } from '../../config/env';
import { openAuditSink, readAuditFile } from '../../gateway/audit/audit-log';
import { Authenticator } from '../../gateway/authentication/authenticator';
import { openKeyStore } from '../../gateway/authentication/key-store';
import {
  plannableSupergraph,
  protectedCoordinates,
  readAccessRules,
} from '../../gateway/policy/requirements';
import { startGateway, type GatewayAccess, type RunningGateway } from '../../gateway/server';
import { ASSERTION_HEADER, signAssertion } from '../../platform/assertion';
import { createLogger } from '../../platform/logger';
import { repoPath } from '../../platform/paths';
import { anonymousPrincipal } from '../../platform/principal';
import { streamBindings } from '../../platform/products';
import { startPlatform, type Platform } from '../../platform/start';
import { toMessage } from '../../streams/check';
import { loadEventSchemas } from '../../streams/schemas';
import { pageChange } from '../fixtures/page-change';
import { createApiKey, isolatedPlatformEnv } from '../harness/platform';
import { eventually } from '../harness/wait';

const SECRET = 'access-embedded-test-subgraph-secret';
const SUPERGRAPH = readFileSync(repoPath('schema', 'supergraph.graphql'), 'utf8');
const IP = '198.51.100.23';
const REASON = 'Harassment of other editors';

let config: SdpConfig;
let platform: Platform;
let full: string;
let scopeless: string;
const extraGateways: RunningGateway[] = [];

async function post(
  url: string,
  query: string,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL answers of every shape
): Promise<{ status: number; requestId: string | null; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, requestId: res.headers.get('x-request-id'), body: await res.json() };
}
const gateway = () => `${platform.gatewayUrl}/graphql`;
const asFull = { 'sdp-purpose': 'abuse-investigation' };

/**
 * Another gateway over this platform's subgraphs (signed with its secret), with
 * `access` settings of its own; stopped after the suite.
 */
async function gatewayOverPlatform(access: GatewayAccess): Promise<RunningGateway> {
  const gateway = await startGateway({
    supergraphSdl: SUPERGRAPH,
    subgraphUrls: Object.fromEntries(platform.products.map((p) => [p.product.name, p.url])),
    port: 0,
    host: '127.0.0.1',
    logger: createLogger('silent'),
    access: { subgraphSecret: SECRET, ...access },
  });
  extraGateways.push(gateway);
  return gateway;
}

/** An authenticator over the platform's own keys, so the suite's keys work on other gateways too. */
async function platformAuthenticator(requireAuth: boolean) {
  const keyStore = await openKeyStore({ dataDir: config.access.dataDir });
  const authenticator = await Authenticator.create({
    access: { requireAuth, jwt: undefined },
    keyStore,
    logger: createLogger('silent'),
  });
  return {
    authenticator,
    async close() {
      authenticator.close();
      await keyStore.close();
    },
  };
}

beforeAll(async () => {
  config = loadConfig({ ...isolatedPlatformEnv(), SDP_SUBGRAPH_SECRET: SECRET });
  full = (await createApiKey(config, ['pii:read', 'oversight:read'], { name: 'oversight' })).key;
  scopeless = (await createApiKey(config, [], { name: 'scopeless' })).key;
  platform = await startPlatform({ config, logger: createLogger('warn') });
  const bindings = streamBindings();
  const producer = await platform.log.producer();
  await producer.send('mediawiki.page_change.v1', [
    toMessage(
      bindings.get('mediawiki.page_change.v1')!,
      pageChange({ kind: 'create', pageId: 9001, title: 'Policy_Fixture', revId: 77, editor: { name: IP } }),
    ),
  ]);
  await producer.send('mediawiki.user-blocks-change', [
    toMessage(bindings.get('mediawiki.user-blocks-change')!, {
      $schema: '/mediawiki/user/blocks-change/1.1.0',
      meta: {
        stream: 'mediawiki.user-blocks-change',
        dt: '2026-01-06T11:00:00Z',
        domain: 'en.wikipedia.org',
      },
      database: 'enwiki',
      user_text: IP,
      user_groups: ['*'],
      blocks: {
        name: true,
        email: false,
        user_talk: false,
        account_create: true,
        expiry_dt: '2099-02-01T00:00:00Z',
      },
      comment: REASON,
      performer: { user_text: 'Admin', user_id: 1, user_groups: ['*', 'user', 'sysop'], user_is_bot: false },
    }),
  ]);
  await producer.close();
  await eventually(async () => {
    const { body } = await post(gateway(), `{ user(wikiId: "enwiki", name: "${IP}") { block { reason } } }`, {
      authorization: `Bearer ${full}`,
      ...asFull,
    });
    expect(body.data?.user?.block?.reason).toBe(REASON);
  });
}, 60_000);

afterAll(async () => {
  for (const g of extraGateways) await g.stop();
  await platform?.stop();
});

// ---------------------------------------------------------------------------
// Property test: every protected coordinate, reached from the root through
// entity boundaries, never shows a value to a principal without scopes.

/** Values for required arguments, by name: enough to reach this test's data. */
const ARGUMENTS: Record<string, string> = {
  wikiId: '"enwiki"',
  name: `"${IP}"`,
  title: '"Policy_Fixture"',
  pageId: '"9001"',
  revId: '"77"',
  start: '"20260101"',
  end: '"20260131"',
  date: '"20260105"',
};

function argumentsOf(field: GraphQLField<unknown, unknown>): string | undefined {
  const given: string[] = [];
  for (const arg of field.args) {
    const value = ARGUMENTS[arg.name];
    if (value !== undefined) given.push(`${arg.name}: ${value}`);
    else if (isNonNullType(arg.type) && arg.defaultValue === undefined) return undefined;
  }
  return given.length === 0 ? '' : `(${given.join(', ')})`;
}

/**
 * For each protected `Type.field`, queries reaching it from every root field
 * that leads there (breadth first, at most `depth` fields deep), selecting it
 * with `__typename` next to it.
 */
function queriesFor(schema: GraphQLSchema, coordinate: string, depth = 6): string[] {
  const [typeName, fieldName] = coordinate.replace(/\(.*\)$/, '').split('.') as [string, string];
  const queries: string[] = [];
  const queue: { type: GraphQLObjectType; path: string[]; seen: Set<string> }[] = [
    { type: schema.getQueryType()!, path: [], seen: new Set() },
  ];
  while (queue.length > 0) {
    const { type, path: trail, seen } = queue.shift()!;
    if (type.name === typeName) {
      const field = type.getFields()[fieldName]!;
      const call = `${fieldName}${argumentsOf(field) ?? ''}`;
      const selection = isLeafType(getNamedType(field.type)) ? call : `${call} { __typename }`;
      queries.push(
        [...trail, `${selection} __typename`].reduceRight((inner, outer) => `${outer} { ${inner} }`),
      );
      continue;
    }
    if (trail.length >= depth) continue;
    for (const field of Object.values(type.getFields())) {
      const next = getNamedType(field.type);
      if (!isObjectType(next) || seen.has(`${type.name}.${field.name}`)) continue;
      const args = argumentsOf(field);
      if (args === undefined) continue;
      queue.push({
        type: next,
        path: [...trail, `${field.name}${args}`],
        seen: new Set([...seen, `${type.name}.${field.name}`]),
      });
    }
  }
  return queries.slice(0, 8).map((q) => `{ ${q} }`);
}

/** Every value found under `key` anywhere in a JSON value. */
function valuesAt(value: unknown, key: string): unknown[] {
  if (value === null || typeof value !== 'object') return [];
  const own = !Array.isArray(value) && key in value ? [(value as Record<string, unknown>)[key]] : [];
  return [...own, ...Object.values(value as object).flatMap((v) => valuesAt(v, key))];
}

/** Every string and number in a JSON value. */
function leaves(value: unknown): unknown[] {
  if (value === null || typeof value !== 'object') return [value];
  return Object.values(value as object).flatMap(leaves);
}

test('no protected value reaches a principal without scopes, on any path to any protected coordinate', async () => {
  const schema = Supergraph.build(plannableSupergraph(SUPERGRAPH)).apiSchema().toGraphQLJSSchema();
  const rules = readAccessRules(SUPERGRAPH, { PII: ['pii:read'] });
  const coordinates = protectedCoordinates(rules);
  /** `@authenticated` alone lets any key in: only anonymous callers are checked there. */
  const authenticatedOnly = (coordinate: string) => {
    const [type, field] = coordinate.split('.') as [string, string];
    return !!rules.fields
      .get(type)
      ?.get(field)
      ?.requirements.every((r) => r.kind === 'authenticated');
  };
  expect(coordinates).toEqual([
    'Block.blockedBy',
    'Block.hidesName',
    'Block.reason',
    'Query.user(name:)',
    'User.name',
  ]);
  for (const coordinate of coordinates) {
    const queries = queriesFor(schema, coordinate);
    // The response key of the protected field: the field itself, or the field an argument belongs to.
    const key = coordinate.replace(/\(.*\)$/, '').split('.')[1]!;
    expect(queries.length).toBeGreaterThan(0);
    let seenPrivileged = false;
    for (const query of queries) {
      const privileged = await post(gateway(), query, { authorization: `Bearer ${full}`, ...asFull });
      const secret = valuesAt(privileged.body.data, key).filter((v) => v !== null);
      if (secret.length > 0) seenPrivileged = true;
      const callers: Record<string, string>[] = [{}];
      if (!authenticatedOnly(coordinate)) callers.push({ authorization: `Bearer ${scopeless}` });
      for (const headers of callers) {
        const denied = await post(gateway(), query, headers);
        expect(denied.status).toBe(200);
        const shown = leaves(denied.body.data);
        for (const value of [IP, REASON, 'Admin']) expect(shown).not.toContain(value);
        expect(valuesAt(denied.body.data, key).filter((v) => v !== null)).toEqual([]);
        if (secret.length > 0) {
          expect(
            denied.body.errors?.map((e: { extensions: { code: string } }) => e.extensions.code),
          ).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
        }
      }
    }
    // The queries reach real values: with the scopes, each coordinate shows one somewhere.
    expect([coordinate, seenPrivileged]).toEqual([coordinate, true]);
  }
}, 120_000);

test('the stock execution path (query-plan header) withholds the same fields', async () => {
  const query = `{ user(wikiId: "enwiki", name: "${IP}") { isAnonymous } page(wikiId: "enwiki", pageId: "9001") { latestRevision { editor { name } } } }`;
  const fast = await post(gateway(), query);
  const stock = await post(gateway(), query, { 'apollo-query-plan-experimental': '1' });
  const expected = {
    errors: [
      {
        message: 'Unauthorized field or type: Query.user(name:)',
        path: ['user'],
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      },
      {
        message: 'Unauthorized field or type: User.name',
        path: ['page', 'latestRevision', 'editor', 'name'],
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      },
    ],
    data: { user: null, page: { latestRevision: { editor: null } } },
  };
  expect(fast.body).toEqual(expected);
  expect(stock.body.data).toEqual(expected.data);
  expect(stock.body.errors).toEqual(expected.errors);
});

test('introspection still shows every field, protected ones included', async () => {
  const { body } = await post(gateway(), '{ __type(name: "Block") { fields { name } } }');
  expect(body.data.__type.fields.map((f: { name: string }) => f.name)).toEqual(
    expect.arrayContaining(['reason', 'hidesName', 'blockedBy']),
  );
});

describe('audit', () => {
  test('one event per protected read, with coordinates, counts, principal, client and request id', async () => {
    const before = (await readAuditFile(config.access.dataDir)).length;
    const query = `query Who { page(wikiId: "enwiki", pageId: "9001") { latestRevision { editor { name block { reason } } } } }`;
    const res = await post(gateway(), query, {
      authorization: `Bearer ${full}`,
      'apollographql-client-name': 'audit-test',
      'apollographql-client-version': '1.2.3',
      ...asFull,
    });
    expect(res.body.data.page.latestRevision.editor).toEqual({ name: IP, block: { reason: REASON } });
    // An unprotected read leaves nothing.
    await post(gateway(), '{ page(wikiId: "enwiki", pageId: "9001") { title } }');
    const events = (await readAuditFile(config.access.dataDir)).slice(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      $schema: '/sdp/audit/1.0.0',
      meta: { stream: 'sdp.audit.v1', request_id: res.requestId },
      kind: 'read',
      principal: { kind: 'api-key', name: 'oversight', scopes: ['oversight:read', 'pii:read'] },
      client: { name: 'audit-test', version: '1.2.3', address: '127.0.0.1' },
      operation: { name: 'Who', purpose: 'abuse-investigation' },
      fields: [
        { coordinate: 'Block.reason', returned: 1, denied: 0 },
        { coordinate: 'User.name', returned: 1, denied: 0 },
      ],
      outcome: 'served',
    });
    expect(loadEventSchemas().validate(events[0], 'sdp/audit')).toEqual({ ok: true });
  });

  test('a denied read is audited with what was denied', async () => {
    const before = (await readAuditFile(config.access.dataDir)).length;
    await post(
      gateway(),
      `{ page(wikiId: "enwiki", pageId: "9001") { latestRevision { editor { name } } } }`,
    );
    const events = (await readAuditFile(config.access.dataDir)).slice(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      principal: { kind: 'anonymous', id: 'anonymous:127.0.0.1' },
      fields: [{ coordinate: 'User.name', returned: 0, denied: 1 }],
      outcome: 'denied',
    });
  });

  test('when the audit cannot be written, protected fields are refused and the rest is served', async () => {
    // An audit sink whose durable file cannot be created: its directory's place is taken by a file.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sdp-broken-audit-'));
    writeFileSync(path.join(dataDir, 'audit'), 'not a directory');
    const audit = await openAuditSink({
      config: { topicPrefix: '', access: { dataDir } },
      schemas: loadEventSchemas(),
      logger: createLogger('silent'),
    });
    // The platform's keys, so the key with every scope works here too.
    const keys = await platformAuthenticator(false);
    const { authenticator } = keys;
    const broken = await gatewayOverPlatform({ audit, authenticator });
    const res = await post(broken.url, `{ page(wikiId: "enwiki", pageId: "9001") { title } }`);
    expect(res.body).toEqual({ data: { page: { title: 'Policy_Fixture' } } });
    const withheld = await post(
      broken.url,
      `{ page(wikiId: "enwiki", pageId: "9001") { latestRevision { editor { isAnonymous block { expiry reason } } } } }`,
      { authorization: `Bearer ${full}`, ...asFull },
    );
    expect(withheld.body).toEqual({
      errors: [
        {
          message: 'Protected field withheld: the audit log cannot record this read (Block.reason)',
          path: ['page', 'latestRevision', 'editor', 'block', 'reason'],
          extensions: { code: 'AUDIT_UNAVAILABLE' },
        },
      ],
      data: {
        page: {
          latestRevision: {
            editor: { isAnonymous: true, block: { expiry: '2099-02-01T00:00:00.000Z', reason: null } },
          },
        },
      },
    });
    await keys.close();
    await audit.close();
  });
});

test('with SDP_AUTHZ_REJECT_UNAUTHORIZED the whole request is refused (403)', async () => {
  const strict = await gatewayOverPlatform({ rejectUnauthorized: true });
  const res = await post(
    strict.url,
    `{ page(wikiId: "enwiki", pageId: "9001") { title latestRevision { editor { name } } } }`,
  );
  expect(res.status).toBe(403);
  expect(res.body).toEqual({
    errors: [
      {
        message: 'Unauthorized field or type: User.name',
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', coordinates: ['User.name'] },
      },
    ],
  });
  const fine = await post(strict.url, `{ page(wikiId: "enwiki", pageId: "9001") { title } }`);
  expect(fine).toMatchObject({ status: 200, body: { data: { page: { title: 'Policy_Fixture' } } } });
});

describe('subgraphs answer the gateway only', () => {
  const ENTITIES = `{ _entities(representations: [{ __typename: "User", wikiId: "enwiki", name: "${IP}" }]) { ... on User { name block { reason } } } }`;
  const assertions: Record<string, () => Record<string, string>> = {
    unsigned: () => ({}),
    forged: () => ({
      [ASSERTION_HEADER]: signAssertion('another-secret-of-at-least-32-bytes!', anonymousPrincipal('x'), 'r'),
    }),
    expired: () => ({
      [ASSERTION_HEADER]: signAssertion(SECRET, anonymousPrincipal('x'), 'r', Date.now() - 10 * 60_000),
    }),
    tampered: () => {
      const [v, payload, mac] = signAssertion(SECRET, anonymousPrincipal('x'), 'r').split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      claims.scopes = ['pii:read'];
      return {
        [ASSERTION_HEADER]: `${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`,
      };
    },
    garbage: () => ({ [ASSERTION_HEADER]: 'x'.repeat(10_000) }),
  };

  test.each(Object.keys(assertions))('%s: 401 for _entities and _service on every subgraph', async (kind) => {
    for (const { url } of platform.products) {
      for (const query of [ENTITIES, '{ _service { sdl } }']) {
        const res = await post(url, query, assertions[kind]!());
        expect([url, res.status, res.body.errors[0].extensions.code]).toEqual([url, 401, 'UNAUTHENTICATED']);
        expect(res.body.data).toBeUndefined();
      }
    }
  });

  test('a valid assertion is served (the control)', async () => {
    const users = platform.products.find((p) => p.product.name === 'users')!;
    const res = await post(users.url, '{ _service { sdl } }', {
      [ASSERTION_HEADER]: signAssertion(SECRET, anonymousPrincipal('x'), 'r'),
    });
    expect(res.status).toBe(200);
    expect(res.body.data._service.sdl).toContain('type User');
  });

  test('subgraphs listen on loopback', () => {
    for (const { url } of platform.products) expect(new URL(url).hostname).toBe('127.0.0.1');
  });
});

test('with SDP_REQUIRE_AUTH, no credentials is 401 and a key still works', async () => {
  const keys = await platformAuthenticator(true);
  const { authenticator } = keys;
  const strict = await gatewayOverPlatform({ authenticator });
  const res = await fetch(strict.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"query":"{ __typename }"}',
  });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="sdp"');
  expect(
    ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
  ).toBe('UNAUTHENTICATED');
  const keyed = await post(strict.url, '{ __typename }', { authorization: `Bearer ${scopeless}` });
  expect(keyed).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
  await keys.close();
});

describe('HTTP hygiene', () => {
  test('CORS: only listed origins', async () => {
    const cors = await gatewayOverPlatform({ corsOrigins: ['https://tools.example.org'] });
    const preflight = (origin: string) =>
      fetch(cors.url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
    const allowed = await preflight('https://tools.example.org');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://tools.example.org');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(cors.url, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('GraphiQL is served with a CSP that forbids framing', async () => {
    const res = await fetch(`${platform.gatewayUrl}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});
