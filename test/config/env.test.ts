import { ConfigError, deadLetterTopic, loadConfig, topicFor } from '../../config/env';

test('defaults describe the embedded platform on port 4000 with the demo on', () => {
  const c = loadConfig({});
  expect(c).toMatchObject({
    port: 4000,
    host: '127.0.0.1',
    subgraphPortBase: 4001,
    mariadbUrl: undefined,
    kafkaBrokers: undefined,
    topicPrefix: '',
    demo: true,
    logLevel: 'info',
    logFormat: 'auto',
    connectRetrySeconds: 5,
  });
});

test('Kafka turns the demo off by default; SDP_DEMO overrides either way', () => {
  expect(loadConfig({ SDP_KAFKA_BROKERS: 'a:9092, b:9093' })).toMatchObject({
    kafkaBrokers: ['a:9092', 'b:9093'],
    demo: false,
  });
  expect(loadConfig({ SDP_KAFKA_BROKERS: 'a:9092', SDP_DEMO: '1' }).demo).toBe(true);
  expect(loadConfig({ SDP_DEMO: '0' }).demo).toBe(false);
});

test.each([
  [{ SDP_PORT: 'eighty' }, /SDP_PORT="eighty" is not an integer/],
  [{ SDP_PORT: '70000' }, /SDP_PORT/],
  [{ SDP_KAFKA_BROKERS: 'localhost' }, /SDP_KAFKA_BROKERS entry "localhost" is not host:port/],
  [{ SDP_MARIADB_URL: 'postgres://x/y' }, /must start with mysql:\/\//],
  [{ SDP_MARIADB_URL: 'mysql://root@127.0.0.1:3306' }, /must name a database/],
  [{ SDP_MARIADB_URL: 'not a url' }, /is not a URL/],
  [{ SDP_DEMO: 'maybe' }, /SDP_DEMO="maybe" must be 0 or 1/],
  [{ SDP_LOG_LEVEL: 'loud' }, /SDP_LOG_LEVEL/],
  [{ SDP_LOG_FORMAT: 'yaml' }, /SDP_LOG_FORMAT="yaml" is not one of auto\|pretty\|json/],
  [
    { SDP_CONNECT_RETRY_SECONDS: '-1' },
    /SDP_CONNECT_RETRY_SECONDS="-1" is not an integer between 0 and 3600/,
  ],
  [{ SDP_REQUIRE_AUTH: 'sure' }, /SDP_REQUIRE_AUTH="sure" must be 0 or 1/],
  [{ SDP_AUTHZ_REJECT_UNAUTHORIZED: '2' }, /SDP_AUTHZ_REJECT_UNAUTHORIZED="2" must be 0 or 1/],
  [{ SDP_SUBGRAPH_SECRET: 'short' }, /SDP_SUBGRAPH_SECRET must be at least 32 bytes/],
  [{ SDP_SENSITIVE_SCOPES: 'pii' }, /SDP_SENSITIVE_SCOPES entry "pii" is not CLASS=scope/],
  [{ SDP_CORS_ORIGINS: 'https://a.example/path' }, /SDP_CORS_ORIGINS entry "https:\/\/a.example\/path"/],
  [{ SDP_CORS_ORIGINS: '*' }, /SDP_CORS_ORIGINS entry "\*"/],
  [{ SDP_JWT_JWKS_URL: 'https://idp.example/jwks.json' }, /needs SDP_JWT_ISSUER and SDP_JWT_AUDIENCE/],
  [
    { SDP_JWT_JWKS_URL: 'ftp://idp.example/jwks.json', SDP_JWT_ISSUER: 'i', SDP_JWT_AUDIENCE: 'a' },
    /SDP_JWT_JWKS_URL="ftp:.*must be an http\(s\):\/\/ URL or a file path/,
  ],
])('bad config %j fails with a message naming the variable', (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

test('access defaults: data under ./.sdp, anonymous allowed, PII needs pii:read, subgraphs on loopback', () => {
  expect(loadConfig({}).access).toEqual({
    dataDir: '.sdp',
    requireAuth: false,
    jwt: undefined,
    rejectUnauthorized: false,
    sensitiveScopes: { PII: ['pii:read'] },
    policyModule: undefined,
    subgraphSecret: undefined,
    subgraphHost: '127.0.0.1',
    corsOrigins: [],
  });
  expect(
    loadConfig({
      SDP_SENSITIVE_SCOPES: 'PII=pii:read;FINANCIAL=finance:read,pii:read',
      SDP_CORS_ORIGINS: 'https://tools.example.org, http://localhost:3000',
      SDP_HOST: '0.0.0.0',
    }).access,
  ).toMatchObject({
    sensitiveScopes: { PII: ['pii:read'], FINANCIAL: ['finance:read', 'pii:read'] },
    corsOrigins: ['https://tools.example.org', 'http://localhost:3000'],
    subgraphHost: '127.0.0.1',
  });
});

test('topics are prefixed stream names; dead letters go to <topic>.dlq', () => {
  const c = loadConfig({ SDP_TOPIC_PREFIX: 'eqiad.' });
  expect(topicFor(c, 'mediawiki.page_change.v1')).toBe('eqiad.mediawiki.page_change.v1');
  expect(deadLetterTopic('eqiad.mediawiki.page_change.v1')).toBe('eqiad.mediawiki.page_change.v1.dlq');
});

test('demand control: defaults, per-tier overrides and bad values naming the variable', () => {
  const c = loadConfig({});
  expect(c.demand).toMatchObject({
    enabled: true,
    requestTimeoutMs: 30_000,
    maxResponseBytes: 16 * 1024 * 1024,
    redisUrl: undefined,
    trustedDocuments: undefined,
    trustedDocumentsRequired: ['anonymous'],
  });
  const tuned = loadConfig({
    SDP_LIMITS_ANONYMOUS: 'depth=8, cost=100',
    SDP_LIMITS_KEYED: 'costPerSecond=0',
    SDP_REDIS_URL: 'redis://127.0.0.1:6379/2',
    SDP_TRUSTED_DOCUMENTS_REQUIRED: 'anonymous,keyed',
    SDP_LIMITS: '0',
  }).demand;
  expect(tuned.tiers.anonymous).toMatchObject({ depth: 8, cost: 100, aliases: 30 });
  expect(tuned.tiers.keyed.costPerSecond).toBe(0);
  expect(tuned).toMatchObject({ enabled: false, redisUrl: 'redis://127.0.0.1:6379/2' });
  expect(tuned.trustedDocumentsRequired).toEqual(['anonymous', 'keyed']);
  expect(loadConfig({ SDP_TRUSTED_DOCUMENTS_REQUIRED: 'none' }).demand.trustedDocumentsRequired).toEqual([]);
  for (const [env, message] of [
    [{ SDP_LIMITS_ANONYMOUS: 'depht=3' }, /SDP_LIMITS_ANONYMOUS entry "depht=3" is not <limit>=<integer>/],
    [{ SDP_LIMITS_KEYED: 'depth=0' }, /SDP_LIMITS_KEYED entry "depth=0": depth must be an integer ≥ 1/],
    [{ SDP_REQUEST_TIMEOUT_MS: '5' }, /SDP_REQUEST_TIMEOUT_MS/],
    [{ SDP_MAX_RESPONSE_BYTES: 'lots' }, /SDP_MAX_RESPONSE_BYTES/],
    [{ SDP_REDIS_URL: 'localhost:6379' }, /SDP_REDIS_URL="localhost:6379" must be redis:\/\//],
    [{ SDP_TRUSTED_DOCUMENTS_REQUIRED: 'admins' }, /SDP_TRUSTED_DOCUMENTS_REQUIRED/],
    [{ SDP_LIMITS: 'maybe' }, /SDP_LIMITS="maybe" must be 0 or 1/],
  ] as const) {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  }
});
