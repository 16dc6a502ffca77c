/**
 * The access policy end to end, on real servers (MariaDB for pages, users and
 * the API keys; the Kafka test cluster for the events and the audit stream;
 * Cassandra for pageviews and editstats): the same query as every kind of
 * caller, with exact answers and errors; credentials that must be refused; a
 * revocation a running gateway must notice. JWTs are verified against a JWKS
 * served over HTTP by this test, with keys made by jose.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { SdpConfig } from '../../config/env';
import { Writable } from 'node:stream';
import { auditCommand } from '../../cli/audit';
import { openKeyStore } from '../../gateway/authentication/key-store';
import { createLogger } from '../../platform/logger';
import { streamBindings } from '../../platform/products';
import { startPlatform, type Platform } from '../../platform/start';
import { toMessage } from '../../streams/check';
import { pageChange, type EventSpec } from '../fixtures/page-change';
import { dropTestKeyspaces, testCassandraContactPoints } from '../harness/cassandra';
import { testKafkaConfig } from '../harness/kafka';
import { createTestDatabase, type TestDatabase } from '../harness/mariadb';
import { createApiKey, isolatedPlatformEnv } from '../harness/platform';
import { eventually } from '../harness/wait';

const run = randomUUID().slice(0, 8);
const kafka = new Kafka({
  clientId: 'e2e-access-policy',
  brokers: process.env.SDP_TEST_KAFKA_BROKERS!.split(','),
  logLevel: logLevel.NOTHING,
});
const ISSUER = 'https://idp.test.example';
const AUDIENCE = 'sdp-gateway';

const TITLE = 'Access_Policy_Page';
const IP = '203.0.113.9';
const EDITS: EventSpec[] = [
  { kind: 'create', pageId: 515151, title: TITLE, revId: 1_000, editor: { name: IP } },
];
const BLOCK = {
  $schema: '/mediawiki/user/blocks-change/1.1.0',
  meta: { stream: 'mediawiki.user-blocks-change', dt: '2026-01-06T11:00:00Z', domain: 'en.wikipedia.org' },
  database: 'enwiki',
  user_text: IP,
  user_groups: ['*'],
  blocks: {
    name: false,
    email: false,
    user_talk: false,
    account_create: true,
    expiry_dt: '2099-02-01T00:00:00Z',
  },
  comment: 'Long-term abuse from this address',
  performer: { user_text: 'Admin', user_id: 1, user_groups: ['*', 'user', 'sysop'], user_is_bot: false },
};

const QUERY = `query Editor { page(wikiId: "enwiki", title: "${TITLE}") {
  title
  latestRevision { editor { isAnonymous name block { expiry reason } } }
} }`;

/** What a caller with `pii:read` (and a declared purpose) sees. */
const FULL = {
  data: {
    page: {
      title: TITLE,
      latestRevision: {
        editor: {
          isAnonymous: true,
          name: IP,
          block: { expiry: '2099-02-01T00:00:00.000Z', reason: 'Long-term abuse from this address' },
        },
      },
    },
  },
};
/** What a caller without it sees: `User.name` is `String!`, so its null takes the editor with it. */
const WITHOUT_PII = {
  errors: [
    {
      message: 'Unauthorized field or type: User.name',
      path: ['page', 'latestRevision', 'editor', 'name'],
      extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
    },
  ],
  data: { page: { title: TITLE, latestRevision: { editor: null } } },
};

let db: TestDatabase;
let env: Record<string, string>;
let config: SdpConfig;
let producer: Producer;
let platform: Platform;
let jwks: http.Server;
let signingKey: KeyLike;
let publicJwk: JWK;
const keys: Record<string, string> = {};

async function post(authorization?: string, extra: Record<string, string> = {}) {
  const res = await fetch(`${platform.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'sdp-purpose': 'moderation',
      ...(authorization === undefined ? {} : { authorization }),
      ...extra,
    },
    body: JSON.stringify({ query: QUERY }),
  });
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate'), body: await res.json() };
}

function token(claims: Record<string, unknown>, options: { expiresIn?: string | number; kid?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'test-key' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('analyst@example.org')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  jwks = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));

  db = await createTestDatabase();
  env = {
    SDP_MARIADB_URL: db.url,
    SDP_CASSANDRA_CONTACT_POINTS: testCassandraContactPoints(),
    SDP_CASSANDRA_KEYSPACE_PREFIX: `ap${run}_`,
    SDP_CASSANDRA_CONSISTENCY: 'ONE',
    ...isolatedPlatformEnv(`ap${run}`),
    SDP_JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
    SDP_JWT_ISSUER: ISSUER,
    SDP_JWT_AUDIENCE: AUDIENCE,
  };
  config = testKafkaConfig(env);
  producer = kafka.producer();
  await producer.connect();
  const bindings = streamBindings();
  await producer.send({
    topic: config.topicPrefix + 'mediawiki.page_change.v1',
    acks: -1,
    messages: EDITS.map((e) => toMessage(bindings.get('mediawiki.page_change.v1')!, pageChange(e))),
  });
  await producer.send({
    topic: config.topicPrefix + 'mediawiki.user-blocks-change',
    acks: -1,
    messages: [toMessage(bindings.get('mediawiki.user-blocks-change')!, BLOCK)],
  });
  keys.pii = (await createApiKey(config, ['pii:read'], { name: 'analyst' })).key;
  keys.none = (await createApiKey(config, [], { name: 'no-scopes' })).key;
  keys.revoked = (await createApiKey(config, ['pii:read'], { revokedAt: '2026-01-01T00:00:00Z' })).key;
  keys.expired = (await createApiKey(config, ['pii:read'], { expiresAt: '2026-01-01T00:00:00Z' })).key;
  platform = await startPlatform({ config, logger: createLogger('warn') });
  await eventually(async () => expect((await post(`Bearer ${keys.pii}`)).body).toEqual(FULL), {
    timeoutMs: 60_000,
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await producer?.disconnect();
  await db?.drop();
  if (config) await dropTestKeyspaces(config);
  await new Promise((resolve) => jwks?.close(resolve));
});

describe('the same query as every kind of caller', () => {
  test('anonymous: the editor goes with its name (null propagation), one error at the name', async () => {
    expect(await post()).toEqual({ status: 200, wwwAuthenticate: null, body: WITHOUT_PII });
  });

  test('an API key with pii:read sees everything', async () => {
    expect(await post(`Bearer ${keys.pii}`)).toEqual({ status: 200, wwwAuthenticate: null, body: FULL });
  });

  test('the same key without a declared purpose: the block reason is null, the rest served', async () => {
    const { body } = await post(`Bearer ${keys.pii}`, { 'sdp-purpose': 'curiosity' });
    expect(body).toEqual({
      errors: [
        {
          message: 'Unauthorized field or type: Block.reason',
          path: ['page', 'latestRevision', 'editor', 'block', 'reason'],
          extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
        },
      ],
      data: {
        page: {
          title: TITLE,
          latestRevision: {
            editor: {
              isAnonymous: true,
              name: IP,
              block: { expiry: '2099-02-01T00:00:00.000Z', reason: null },
            },
          },
        },
      },
    });
  });

  test('an API key without scopes sees what anonymous callers see', async () => {
    expect((await post(`Bearer ${keys.none}`)).body).toEqual(WITHOUT_PII);
  });

  test('a JWT with scope pii:read sees everything', async () => {
    const jwt = await token({ scope: 'openid pii:read' });
    expect(await post(`Bearer ${jwt}`)).toEqual({ status: 200, wwwAuthenticate: null, body: FULL });
  });

  test('a JWT without the scope does not', async () => {
    const jwt = await token({ scope: 'openid' });
    expect((await post(`Bearer ${jwt}`)).body).toEqual(WITHOUT_PII);
  });
});

describe('refused credentials: 401, WWW-Authenticate, UNAUTHENTICATED; never anonymous', () => {
  const refused = (message: string, error = 'invalid_token') => ({
    status: 401,
    wwwAuthenticate: `Bearer realm="sdp", error="${error}", error_description="${message.replace(/["\\]/g, '')}"`,
    body: { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] },
  });

  test('a revoked key', async () => {
    expect(await post(`Bearer ${keys.revoked}`)).toEqual(refused('Unknown, revoked or expired API key.'));
  });

  test('an expired key', async () => {
    expect(await post(`Bearer ${keys.expired}`)).toEqual(refused('Unknown, revoked or expired API key.'));
  });

  test('a key that was never issued, and one with a wrong secret', async () => {
    const wrongSecret = keys.pii!.slice(0, -4) + 'AAAA';
    expect(await post(`Bearer ${wrongSecret}`)).toEqual(refused('Unknown, revoked or expired API key.'));
    expect(await post(`Bearer sdp_000000000000_${'A'.repeat(43)}`)).toEqual(
      refused('Unknown, revoked or expired API key.'),
    );
  });

  test('an expired token', async () => {
    const jwt = await token({ scope: 'pii:read' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    expect(await post(`Bearer ${jwt}`)).toEqual(refused('The token has expired.'));
  });

  test('wrong issuer, wrong audience', async () => {
    const wrongIssuer = await new SignJWT({ scope: 'pii:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setIssuer('https://evil.example')
      .setAudience(AUDIENCE)
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(signingKey);
    expect(await post(`Bearer ${wrongIssuer}`)).toEqual(refused('The token\'s "iss" claim is not accepted.'));
    const wrongAudience = await new SignJWT({ scope: 'pii:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setIssuer(ISSUER)
      .setAudience('another-api')
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(signingKey);
    expect(await post(`Bearer ${wrongAudience}`)).toEqual(
      refused('The token\'s "aud" claim is not accepted.'),
    );
  });

  test('an unknown kid, and a key the JWKS does not hold', async () => {
    const unknownKid = await token({ scope: 'pii:read' }, { kid: 'rotated-away' });
    expect(await post(`Bearer ${unknownKid}`)).toEqual(
      refused('The token is signed with a key this gateway does not know.'),
    );
    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({ scope: 'pii:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(other.privateKey);
    expect(await post(`Bearer ${forged}`)).toEqual(refused('The token signature is invalid.'));
  });

  test('alg none, and an HMAC token keyed with the public key', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'x',
      scope: 'pii:read',
      exp: Math.floor(Date.now() / 1000) + 300,
    };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    expect((await post(`Bearer ${none}`)).status).toBe(401);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'test-key' })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expect(await post(`Bearer ${hmac}`)).toEqual(
      refused('The token is signed with an algorithm this gateway does not accept.'),
    );
  });

  test('malformed and oversized headers', async () => {
    const badRequest = 'Authorization must be "Bearer <API key or token>".';
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer a b',
      `Bearer ${keys.pii} x`,
      'bearer\ttoken',
    ]) {
      expect(await post(header)).toEqual(refused(badRequest, 'invalid_request'));
    }
    expect(await post('Bearer not-a-key-or-token')).toEqual(
      refused('The bearer token is neither an sdp API key nor a JWT.'),
    );
    expect(await post('Bearer a.b.c')).toEqual(refused('The token is malformed.'));
    expect(await post(`Bearer ${'a'.repeat(9_000)}`)).toEqual(
      refused('Authorization header longer than 8192 bytes.', 'invalid_request'),
    );
  });
});

test('the audit stream on Kafka holds the reads, and sdp audit tail reads it from another consumer', async () => {
  const { status } = await post(`Bearer ${keys.pii}`, { 'apollographql-client-name': 'kafka-audit' });
  expect(status).toBe(200);
  let out = '';
  const io = {
    stdout: new Writable({ write: (chunk: Buffer, _e, done) => ((out += chunk.toString()), done()) }),
    stderr: new Writable({ write: (_c, _e, done) => done() }),
  };
  const tailEnv = {
    ...env,
    SDP_KAFKA_BROKERS: process.env.SDP_TEST_KAFKA_BROKERS!,
    SDP_KAFKA_SESSION_TIMEOUT_MS: '6000',
  };
  expect(await auditCommand(['tail', '--principal', 'analyst'], tailEnv, io)).toBe(0);
  const events = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const mine = events.filter((e) => e.client?.name === 'kafka-audit');
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({
    kind: 'read',
    principal: { kind: 'api-key', name: 'analyst', scopes: ['pii:read'] },
    operation: { name: 'Editor', purpose: 'moderation' },
    fields: [
      { coordinate: 'Block.reason', returned: 1, denied: 0 },
      { coordinate: 'User.name', returned: 1, denied: 0 },
    ],
    outcome: 'served',
  });
  // Every event tail printed is this principal's.
  expect(new Set(events.map((e) => e.principal.name))).toEqual(new Set(['analyst']));
}, 60_000);

test('a key revoked while the gateway runs is refused within 5 s', async () => {
  const { id, key } = await createApiKey(config, ['pii:read'], { name: 'soon-revoked' });
  // A new key counts within the refresh interval too.
  await eventually(async () => expect((await post(`Bearer ${key}`)).status).toBe(200), { timeoutMs: 5_000 });
  const store = await openKeyStore({ mariadbUrl: config.mariadbUrl, dataDir: config.access.dataDir });
  try {
    await store.update(id, { revokedAt: new Date().toISOString() });
  } finally {
    await store.close();
  }
  await eventually(async () => expect((await post(`Bearer ${key}`)).status).toBe(401), {
    timeoutMs: 5_000,
    intervalMs: 100,
  });
});
