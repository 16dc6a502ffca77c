/**
 * The platform's whole configuration, read once from the environment.
 *
 * Every variable is documented in the README's configuration table; a value that
 * cannot be parsed fails start-up with a message naming the variable, rather than
 * silently falling back to a default the user did not ask for.
 */
export interface SdpConfig {
  /** Gateway HTTP port (SDP_PORT). */
  port: number;
  /** Interface every server binds to (SDP_HOST). */
  host: string;
  /** First port for subgraph servers; each product adds its own offset (SDP_SUBGRAPH_PORT_BASE). */
  subgraphPortBase: number;
  /** mysql://user:pass@host:port/db (SDP_MARIADB_URL); unset → embedded stores. */
  mariadbUrl: string | undefined;
  /** Cassandra contact points, `host` or `host:port` (SDP_CASSANDRA_CONTACT_POINTS); unset → embedded stores. */
  cassandraContactPoints: string[] | undefined;
  /** Local data centre for the driver's DC-aware routing and for new keyspaces' replication (SDP_CASSANDRA_DC). */
  cassandraDc: string;
  /** Each Cassandra-backed product's keyspace is this prefix + the product name (SDP_CASSANDRA_KEYSPACE_PREFIX). */
  cassandraKeyspacePrefix: string;
  /** Consistency of every read and write (SDP_CASSANDRA_CONSISTENCY). */
  cassandraConsistency: CassandraConsistency;
  /** Replicas per data centre when a product's keyspace is created (SDP_CASSANDRA_REPLICATION_FACTOR). */
  cassandraReplicationFactor: number;
  /** Kafka bootstrap brokers (SDP_KAFKA_BROKERS, comma list); unset → embedded event log. */
  kafkaBrokers: string[] | undefined;
  /** Prefix put before every stream name to get its topic, e.g. `eqiad.` (SDP_TOPIC_PREFIX). */
  topicPrefix: string;
  /** Kafka client id (SDP_KAFKA_CLIENT_ID). */
  kafkaClientId: string;
  /**
   * Consumer group session timeout (SDP_KAFKA_SESSION_TIMEOUT_MS): how long a
   * crashed consumer holds its partitions, and how long some brokers make a
   * restarted member wait to rejoin.
   */
  kafkaSessionTimeoutMs: number;
  /**
   * Partitions a consumer handles at the same time (SDP_KAFKA_PARTITIONS_CONCURRENTLY):
   * one partition's validation overlaps another's store write. Order within a
   * partition, the order that matters, is kept.
   */
  kafkaPartitionsConcurrently: number;
  /** Prefix of every consumer group id; a product's group is `<prefix>.<product>` (SDP_CONSUMER_GROUP_PREFIX). */
  consumerGroupPrefix: string;
  /** Run the demo feeder (SDP_DEMO); default: on with the embedded log, off with Kafka. */
  demo: boolean;
  /** Demo feeder events per second after the example replay (SDP_DEMO_RATE). */
  demoRate: number;
  /**
   * Days the pageviews product keeps hourly per-article counts after their day ends, as Cassandra TTLs;
   * 0 = forever, the default: nothing loaded is refused (SDP_PAGEVIEWS_HOURLY_RETENTION_DAYS). Daily rows
   * are summed from the hours, so a day older than this can no longer be loaded or corrected; set it to
   * bound storage once old dumps are in.
   */
  pageviewsHourlyRetentionDays: number;
  /** Days the pageviews product keeps daily rows and top-pages entries; 0 = forever (SDP_PAGEVIEWS_DAILY_RETENTION_DAYS). */
  pageviewsDailyRetentionDays: number;
  /** pino log level (SDP_LOG_LEVEL). */
  logLevel: string;
  /** Log lines for people (`pretty`), for machines (`json`), or `auto`: pretty on a terminal (SDP_LOG_FORMAT). */
  logFormat: LogFormat;
  /**
   * How long a command keeps trying to reach Kafka, MariaDB or Cassandra when
   * it starts, before it stops with one line naming the server and its variable
   * (SDP_CONNECT_RETRY_SECONDS). Once connected, each client's own retries ride
   * out restarts; this budget is only for the first contact.
   */
  connectRetrySeconds: number;
  /** Access policy: authentication, authorization, subgraph assertions, audit (see AccessConfig). */
  access: AccessConfig;
  /** The gateway's demand control: limits, cost, budgets, deadlines (README "Limits and budgets"). */
  demand: DemandConfig;
}

/** Demand-control tiers, as `Principal.tier` names them (platform/principal.ts). */
export const DEMAND_TIERS = ['anonymous', 'keyed'] as const;
export type DemandTier = (typeof DEMAND_TIERS)[number];

/** What one tier of principals may ask of the gateway. */
export interface TierLimits {
  /** Deepest field nesting, fragments expanded. */
  depth: number;
  /** Aliased fields, fragments expanded. */
  aliases: number;
  /** Fields at the operation's root, fragments expanded. */
  rootFields: number;
  /** Lexical tokens of the whole document (graphql's parser `maxTokens`). */
  tokens: number;
  /** Directive applications in the document. */
  directives: number;
  /** Fields after fragment expansion: what the planner and the executor walk. */
  fields: number;
  /** Highest estimated cost of one operation (`@cost`/`@listSize`). */
  cost: number;
  /** Budget refill: cost units per second per principal; 0 = no budget. */
  costPerSecond: number;
  /** Budget capacity (the largest burst) in cost units. */
  burst: number;
}

export interface DemandConfig {
  /** SDP_LIMITS: static limits, cost analysis and budgets on (default) or off. */
  enabled: boolean;
  /** Per-tier limits: the defaults, overridden by SDP_LIMITS_ANONYMOUS / SDP_LIMITS_KEYED. */
  tiers: Record<DemandTier, TierLimits>;
  /** SDP_REQUEST_TIMEOUT_MS: deadline of one GraphQL request; outstanding subgraph fetches are aborted. */
  requestTimeoutMs: number;
  /** SDP_MAX_RESPONSE_BYTES: an answer whose subgraph data grows past this is not built. */
  maxResponseBytes: number;
  /** SDP_PLAN_CACHE_BYTES: estimated bytes of cached query plans per gateway. */
  planCacheBytes: number;
  /** SDP_REDIS_URL: budgets shared by every gateway through Redis; unset → in memory, per gateway. */
  redisUrl: string | undefined;
  /** SDP_TRUSTED_DOCUMENTS: an Apollo persisted-query manifest (JSON); unset → no trusted documents. */
  trustedDocuments: string | undefined;
  /** SDP_TRUSTED_DOCUMENTS_REQUIRED: tiers that may run only the manifest's operations. */
  trustedDocumentsRequired: DemandTier[];
}

/**
 * Default limits. Every query in the README, every product's GraphiQL example
 * and the W1 benchmark query pass the anonymous tier with room to spare
 * (test/gateway/demand-control.test.ts checks them): at most depth 7, 27
 * fields, 84 tokens and an estimated cost of 990 (the README's top-pages
 * query with a week of pageviews for each of 5 pages).
 */
export const DEFAULT_TIER_LIMITS: Record<DemandTier, TierLimits> = {
  anonymous: {
    depth: 12,
    aliases: 30,
    rootFields: 10,
    tokens: 2_000,
    directives: 30,
    fields: 500,
    cost: 5_000,
    costPerSecond: 5_000,
    burst: 25_000,
  },
  keyed: {
    depth: 20,
    aliases: 200,
    rootFields: 50,
    tokens: 15_000,
    directives: 200,
    fields: 5_000,
    cost: 50_000,
    costPerSecond: 50_000,
    burst: 250_000,
  },
};

const TIER_LIMIT_NAMES = Object.keys(DEFAULT_TIER_LIMITS.anonymous) as (keyof TierLimits)[];

/** `depth=15,aliases=50`: overrides of one tier's defaults; unknown names and bad numbers stop start-up. */
function tierLimits(env: Env, name: string, defaults: TierLimits): TierLimits {
  const raw = env[name]?.trim();
  if (!raw) return { ...defaults };
  const limits = { ...defaults };
  for (const entry of raw.split(',')) {
    const [key = '', value = '', ...rest] = entry.split('=').map((part) => part.trim());
    if (!(TIER_LIMIT_NAMES as string[]).includes(key) || rest.length > 0) {
      throw new ConfigError(
        `${name} entry ${JSON.stringify(entry)} is not <limit>=<integer> with <limit> one of ${TIER_LIMIT_NAMES.join('|')}`,
      );
    }
    const n = Number(value);
    const min = key === 'costPerSecond' ? 0 : 1;
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new ConfigError(`${name} entry ${JSON.stringify(entry)}: ${key} must be an integer ≥ ${min}`);
    }
    limits[key as keyof TierLimits] = n;
  }
  return limits;
}

function demand(env: Env): DemandConfig {
  const redisUrl = env.SDP_REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError(
      `SDP_REDIS_URL=${JSON.stringify(redisUrl)} must be redis://host:port[/db] or rediss://…`,
    );
  }
  const required = (env.SDP_TRUSTED_DOCUMENTS_REQUIRED ?? 'anonymous').trim();
  const tiers = required === '' || required === 'none' ? [] : required.split(',').map((t) => t.trim());
  for (const tier of tiers) {
    if (!(DEMAND_TIERS as readonly string[]).includes(tier)) {
      throw new ConfigError(
        `SDP_TRUSTED_DOCUMENTS_REQUIRED=${JSON.stringify(required)} must be none or a comma list of ${DEMAND_TIERS.join('|')}`,
      );
    }
  }
  return {
    enabled: bool(env, 'SDP_LIMITS', true),
    tiers: {
      anonymous: tierLimits(env, 'SDP_LIMITS_ANONYMOUS', DEFAULT_TIER_LIMITS.anonymous),
      keyed: tierLimits(env, 'SDP_LIMITS_KEYED', DEFAULT_TIER_LIMITS.keyed),
    },
    requestTimeoutMs: int(env, 'SDP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    maxResponseBytes: int(env, 'SDP_MAX_RESPONSE_BYTES', 16 * 1024 * 1024, 1024, 2 ** 31 - 1),
    planCacheBytes: int(env, 'SDP_PLAN_CACHE_BYTES', 64 * 1024 * 1024, 0, 2 ** 40),
    redisUrl,
    trustedDocuments: env.SDP_TRUSTED_DOCUMENTS?.trim() || undefined,
    trustedDocumentsRequired: tiers as DemandTier[],
  };
}

/** Who may ask the gateway what, and where that is recorded (README "Access and policy"). */
export interface AccessConfig {
  /** Where API keys (without MariaDB) and the durable audit copy live (SDP_DATA_DIR). */
  dataDir: string;
  /** Refuse requests without credentials (SDP_REQUIRE_AUTH); otherwise they are the anonymous principal. */
  requireAuth: boolean;
  /** JWT bearer tokens: a JWKS URL or file with the issuer and audience tokens must name; unset → no JWTs. */
  jwt: { jwks: string; issuer: string; audience: string } | undefined;
  /** Reject a whole request that selects an unauthorized field instead of nulling it (SDP_AUTHZ_REJECT_UNAUTHORIZED). */
  rejectUnauthorized: boolean;
  /** Scopes each `@sensitive(class:)` requires, all of them (SDP_SENSITIVE_SCOPES). */
  sensitiveScopes: Record<string, string[]>;
  /** Module deciding `@policy` names (SDP_POLICY_MODULE); unset → gateway/policy/policies.ts. */
  policyModule: string | undefined;
  /** Shared secret the gateway signs subgraph assertions with (SDP_SUBGRAPH_SECRET); unset → `sdp start` makes one. */
  subgraphSecret: string | undefined;
  /** Interface subgraph servers bind to (SDP_SUBGRAPH_HOST), independent of SDP_HOST. */
  subgraphHost: string;
  /** Browser origins allowed to call /graphql (SDP_CORS_ORIGINS); empty → no cross-origin access. */
  corsOrigins: string[];
}

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Consistency levels that make sense for a product store (no SERIAL: the stores use no lightweight transactions). */
export const CASSANDRA_CONSISTENCIES = [
  'ONE',
  'LOCAL_ONE',
  'QUORUM',
  'LOCAL_QUORUM',
  'EACH_QUORUM',
  'ALL',
] as const;
export type CassandraConsistency = (typeof CASSANDRA_CONSISTENCIES)[number];

/** Where subgraph ports start unless SDP_SUBGRAPH_PORT_BASE says otherwise; also the composed routing URLs'. */
export const DEFAULT_SUBGRAPH_PORT_BASE = 4001;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0, max = 65535): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not an integer between ${min} and ${max}`);
  }
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} must be 0 or 1`);
}

/** A comma list of `host:port` (or, when the port may be left out, `host`) entries; unset or blank → undefined. */
function hostList(env: Env, name: string, portRequired: boolean): string[] | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const list = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const pattern = portRequired ? /^[^\s:/]+:\d{1,5}$/ : /^[^\s:/]+(:\d{1,5})?$/;
  for (const b of list) {
    if (!pattern.test(b)) {
      throw new ConfigError(
        `${name} entry ${JSON.stringify(b)} is not host:port${portRequired ? '' : ' or host'}`,
      );
    }
  }
  return list;
}

function consistency(env: Env): CassandraConsistency {
  const raw = (env.SDP_CASSANDRA_CONSISTENCY || 'LOCAL_QUORUM').toUpperCase();
  const known = CASSANDRA_CONSISTENCIES as readonly string[];
  if (!known.includes(raw)) {
    throw new ConfigError(
      `SDP_CASSANDRA_CONSISTENCY=${JSON.stringify(env.SDP_CASSANDRA_CONSISTENCY)} is not one of ${known.join('|')}`,
    );
  }
  return raw as CassandraConsistency;
}

function keyspacePrefix(env: Env): string {
  const prefix = env.SDP_CASSANDRA_KEYSPACE_PREFIX ?? 'sdp_';
  // Unquoted CQL identifiers; 48 characters is Cassandra's keyspace name limit, leaving room for a product name.
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(prefix)) {
    throw new ConfigError(
      `SDP_CASSANDRA_KEYSPACE_PREFIX=${JSON.stringify(prefix)} must be 1–32 of [a-z0-9_], starting with a letter`,
    );
  }
  return prefix;
}

function mariadbUrl(env: Env): string | undefined {
  const raw = env.SDP_MARIADB_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `SDP_MARIADB_URL=${JSON.stringify(raw)} is not a URL (expected mysql://user@host:3306/db)`,
    );
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError(`SDP_MARIADB_URL must start with mysql:// or mariadb://, got ${url.protocol}//`);
  }
  if (url.pathname.length <= 1)
    throw new ConfigError('SDP_MARIADB_URL must name a database, e.g. mysql://root@127.0.0.1:3306/test');
  return raw;
}

/** `PII=pii:read;FINANCIAL=finance:read,pii:read`: each class and the scopes it requires (all of them). */
function sensitiveScopes(env: Env): Record<string, string[]> {
  const raw = env.SDP_SENSITIVE_SCOPES?.trim() || 'PII=pii:read';
  const map: Record<string, string[]> = {};
  for (const entry of raw
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=([^\s=;]+)$/.exec(entry);
    if (!match) {
      throw new ConfigError(
        `SDP_SENSITIVE_SCOPES entry ${JSON.stringify(entry)} is not CLASS=scope[,scope] (e.g. PII=pii:read)`,
      );
    }
    map[match[1]!] = match[2]!.split(',').filter(Boolean);
  }
  return map;
}

function jwtConfig(env: Env): AccessConfig['jwt'] {
  const jwks = env.SDP_JWT_JWKS_URL?.trim();
  if (!jwks) return undefined;
  if (/^[a-z]+:/i.test(jwks) && !/^(https?|file):/i.test(jwks)) {
    throw new ConfigError(
      `SDP_JWT_JWKS_URL=${JSON.stringify(jwks)} must be an http(s):// URL or a file path`,
    );
  }
  const issuer = env.SDP_JWT_ISSUER?.trim();
  const audience = env.SDP_JWT_AUDIENCE?.trim();
  if (!issuer || !audience) {
    throw new ConfigError(
      'SDP_JWT_JWKS_URL needs SDP_JWT_ISSUER and SDP_JWT_AUDIENCE: tokens are checked against both',
    );
  }
  return { jwks, issuer, audience };
}

function corsOrigins(env: Env): string[] {
  const raw = env.SDP_CORS_ORIGINS?.trim();
  if (!raw) return [];
  return raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((origin) => {
      let url: URL | undefined;
      try {
        url = new URL(origin);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== origin) {
        throw new ConfigError(
          `SDP_CORS_ORIGINS entry ${JSON.stringify(origin)} is not an origin like https://tools.example.org (scheme, host, optional port; no path)`,
        );
      }
      return origin;
    });
}

function subgraphSecret(env: Env): string | undefined {
  const raw = env.SDP_SUBGRAPH_SECRET;
  if (raw === undefined || raw === '') return undefined;
  // HMAC-SHA256 keys shorter than the hash add no strength and are guessable.
  if (Buffer.byteLength(raw) < 32) {
    throw new ConfigError('SDP_SUBGRAPH_SECRET must be at least 32 bytes (e.g. `openssl rand -hex 32`)');
  }
  return raw;
}

export function loadAccessConfig(env: Env = process.env): AccessConfig {
  return {
    dataDir: env.SDP_DATA_DIR?.trim() || '.sdp',
    requireAuth: bool(env, 'SDP_REQUIRE_AUTH', false),
    jwt: jwtConfig(env),
    rejectUnauthorized: bool(env, 'SDP_AUTHZ_REJECT_UNAUTHORIZED', false),
    sensitiveScopes: sensitiveScopes(env),
    policyModule: env.SDP_POLICY_MODULE?.trim() || undefined,
    subgraphSecret: subgraphSecret(env),
    subgraphHost: env.SDP_SUBGRAPH_HOST?.trim() || '127.0.0.1',
    corsOrigins: corsOrigins(env),
  };
}

export function loadConfig(env: Env = process.env): SdpConfig {
  const kafkaBrokers = hostList(env, 'SDP_KAFKA_BROKERS', true);
  const level = env.SDP_LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new ConfigError(
      `SDP_LOG_LEVEL=${JSON.stringify(level)} is not one of fatal|error|warn|info|debug|trace|silent`,
    );
  }
  const logFormat = (env.SDP_LOG_FORMAT || 'auto').toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new ConfigError(
      `SDP_LOG_FORMAT=${JSON.stringify(env.SDP_LOG_FORMAT)} is not one of ${LOG_FORMATS.join('|')}`,
    );
  }
  return {
    port: int(env, 'SDP_PORT', 4000, 0),
    host: env.SDP_HOST || '127.0.0.1',
    subgraphPortBase: int(env, 'SDP_SUBGRAPH_PORT_BASE', DEFAULT_SUBGRAPH_PORT_BASE, 0),
    mariadbUrl: mariadbUrl(env),
    cassandraContactPoints: hostList(env, 'SDP_CASSANDRA_CONTACT_POINTS', false),
    cassandraDc: env.SDP_CASSANDRA_DC || 'datacenter1',
    cassandraKeyspacePrefix: keyspacePrefix(env),
    cassandraConsistency: consistency(env),
    cassandraReplicationFactor: int(env, 'SDP_CASSANDRA_REPLICATION_FACTOR', 1, 1, 9),
    kafkaBrokers,
    topicPrefix: env.SDP_TOPIC_PREFIX ?? '',
    kafkaClientId: env.SDP_KAFKA_CLIENT_ID || 'sdp',
    kafkaSessionTimeoutMs: int(env, 'SDP_KAFKA_SESSION_TIMEOUT_MS', 30000, 6000, 300000),
    kafkaPartitionsConcurrently: int(env, 'SDP_KAFKA_PARTITIONS_CONCURRENTLY', 4, 1, 64),
    consumerGroupPrefix: env.SDP_CONSUMER_GROUP_PREFIX || 'sdp',
    demo: bool(env, 'SDP_DEMO', kafkaBrokers === undefined),
    demoRate: int(env, 'SDP_DEMO_RATE', 5, 0, 100000),
    // 7000 days keeps the TTL of a row written today under Cassandra's 20-year limit.
    pageviewsHourlyRetentionDays: int(env, 'SDP_PAGEVIEWS_HOURLY_RETENTION_DAYS', 0, 0, 7000),
    pageviewsDailyRetentionDays: int(env, 'SDP_PAGEVIEWS_DAILY_RETENTION_DAYS', 0, 0, 7000),
    logLevel: level,
    logFormat: logFormat as LogFormat,
    connectRetrySeconds: int(env, 'SDP_CONNECT_RETRY_SECONDS', 5, 0, 3600),
    access: loadAccessConfig(env),
    demand: demand(env),
  };
}

/** The Kafka topic that carries a stream: Wikimedia prefixes the datacenter (`eqiad.`). */
export function topicFor(config: Pick<SdpConfig, 'topicPrefix'>, stream: string): string {
  return config.topicPrefix + stream;
}

/** Dead-letter topic for a topic: malformed events are parked there with the reason. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
