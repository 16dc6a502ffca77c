/**
 * Cassandra plumbing shared by every Cassandra-backed product: one driver
 * session per product, bound to the product's own keyspace
 * (`SDP_CASSANDRA_KEYSPACE_PREFIX` + product name), created on first start
 * and migrated by versioned, re-runnable CQL.
 *
 * What every product gets from here, so none of them re-decides it:
 * - token-aware routing over a DC-aware policy: a prepared statement's
 *   partition key is known to the driver, which sends it straight to a replica
 *   of that partition in the local data centre (no coordinator hop);
 * - every statement prepared (parsed once per node, typed binding of values),
 *   at the configured consistency;
 * - reads page by page through `pageState`, so a wide partition is never held
 *   in memory whole;
 * - CQL 3.2 only (tests run Apache Cassandra 2.1; production a current one):
 *   native protocol v3 is negotiated with 2.1 and newer versions alike.
 */
import cassandra from 'cassandra-driver';
import type { Logger } from 'pino';
import type { CassandraConsistency, SdpConfig } from '../config/env';
import { retryWithin, ServerUnreachableError } from '../config/unreachable';

export class CassandraError extends Error {
  override name = 'CassandraError';
}

export interface CassandraMigration {
  /** Positive, strictly increasing within a product; never renumber or edit an applied one. */
  version: number;
  name: string;
  /**
   * CQL statements run one by one, with unqualified table names (the session is
   * bound to the product keyspace). Cassandra has no transactional DDL and no
   * lock here, so write them re-runnable (`IF NOT EXISTS`): two processes
   * starting together may both run a migration, and a migration cut off half-way
   * is completed by the next start.
   */
  up: string[];
}

export interface CassandraSession {
  /** The driver client, bound to `keyspace`. */
  readonly client: cassandra.Client;
  readonly keyspace: string;
  /** For start-up logs, e.g. `cassandra 127.0.0.1:9042/sdp_pageviews`. */
  readonly description: string;
  /** Runs one prepared statement at the configured consistency (options may override). */
  execute(
    cql: string,
    params?: unknown[],
    options?: cassandra.QueryOptions,
  ): Promise<cassandra.types.ResultSet>;
  /**
   * The rows of a query, one page at a time (`fetchSize` rows, default 1000),
   * following `pageState` until the last page: memory stays bounded by one page
   * however wide the partition.
   */
  pages(
    cql: string,
    params?: unknown[],
    options?: { fetchSize?: number },
  ): AsyncIterable<cassandra.types.Row[]>;
  /**
   * Prepared statements in one batch. Logged by default (all or nothing across
   * partitions); `logged: false` for statements of one partition, where the
   * batch log buys nothing; `counter: true` for counter updates.
   */
  batch(
    queries: { query: string; params: unknown[] }[],
    options?: { logged?: boolean; counter?: boolean },
  ): Promise<void>;
  close(): Promise<void>;
}

/** Default rows per page for `pages()`: large enough to amortise round trips, small enough to stay light. */
export const DEFAULT_FETCH_SIZE = 1000;

/** `cassandra-driver` takes `host:port` contact points; a bare host gets the native protocol port. */
const DEFAULT_NATIVE_PORT = 9042;

const IDENTIFIER = /^[a-z][a-z0-9_]{0,47}$/;

/** The keyspace of a product: the configured prefix plus the product name (≤ 48 characters, Cassandra's limit). */
export function keyspaceFor(config: Pick<SdpConfig, 'cassandraKeyspacePrefix'>, product: string): string {
  const keyspace = `${config.cassandraKeyspacePrefix}${product}`;
  if (!IDENTIFIER.test(keyspace)) {
    throw new CassandraError(
      `keyspace ${JSON.stringify(keyspace)} (prefix + product) must be 1–48 of [a-z0-9_], starting with a letter`,
    );
  }
  return keyspace;
}

function contactPoints(config: Pick<SdpConfig, 'cassandraContactPoints'>): string[] {
  const points = config.cassandraContactPoints;
  if (!points || points.length === 0) {
    throw new CassandraError('no Cassandra contact points: set SDP_CASSANDRA_CONTACT_POINTS');
  }
  return points.map((p) => (p.includes(':') ? p : `${p}:${DEFAULT_NATIVE_PORT}`));
}

/** The message of a driver error; NoHostAvailableError hides the per-host reasons in `innerErrors`. */
export function describeCassandraError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner = (err as { innerErrors?: Record<string, unknown> }).innerErrors;
  if (inner && Object.keys(inner).length > 0) {
    const reasons = Object.entries(inner).map(
      ([host, e]) => `${host}: ${e instanceof Error ? e.message : String(e)}`,
    );
    return `${err.message} (${reasons.join('; ')})`;
  }
  return err.message || err.name;
}

function checkMigrations(product: string, migrations: readonly CassandraMigration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new CassandraError(
        `${product} migration versions must be positive and increasing; ${m.version} follows ${previous}`,
      );
    }
    if (!m.name) throw new CassandraError(`${product} migration ${m.version} needs a name`);
    if (m.up.length === 0) throw new CassandraError(`${product} migration ${m.version} has no statements`);
    previous = m.version;
  }
}

/** Where each keyspace records the migrations applied to it. */
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS sdp_schema_migrations (
  version int PRIMARY KEY,
  name text,
  applied_at timestamp
)`;

const { consistencies } = cassandra.types;
/** The driver's codes for the levels SDP_CASSANDRA_CONSISTENCY accepts. */
const CONSISTENCY: Record<CassandraConsistency, number> = {
  ONE: consistencies.one,
  LOCAL_ONE: consistencies.localOne,
  QUORUM: consistencies.quorum,
  LOCAL_QUORUM: consistencies.localQuorum,
  EACH_QUORUM: consistencies.eachQuorum,
  ALL: consistencies.all,
};

function driverOptions(config: SdpConfig, points: string[], keyspace?: string): cassandra.ClientOptions {
  const { policies, types } = cassandra;
  return {
    contactPoints: points,
    localDataCenter: config.cassandraDc,
    ...(keyspace ? { keyspace } : {}),
    policies: {
      loadBalancing: new policies.loadBalancing.TokenAwarePolicy(
        new policies.loadBalancing.DCAwareRoundRobinPolicy(config.cassandraDc),
      ),
      // Exponential back-off between 1 s and 60 s: a node that went away is
      // tried again in the background while the others serve.
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(1_000, 60_000, false),
    },
    queryOptions: {
      consistency: CONSISTENCY[config.cassandraConsistency],
      prepare: true,
      fetchSize: DEFAULT_FETCH_SIZE,
    },
    socketOptions: { connectTimeout: 10_000, readTimeout: 30_000 },
    // Cassandra 2.1 speaks protocol v3; the driver negotiates down from its highest.
    protocolOptions: { maxVersion: types.protocolVersion.v4 },
  };
}

/**
 * A connected client. A cluster that refuses or does not answer is tried again
 * for `budgetSeconds` (SDP_CONNECT_RETRY_SECONDS), each try a fresh client,
 * then reported as one ServerUnreachableError; any other failure (a wrong data
 * centre, a bad keyspace) is reported at once.
 */
async function connect(
  options: cassandra.ClientOptions,
  points: string[],
  budgetSeconds: number,
): Promise<cassandra.Client> {
  try {
    return await retryWithin(budgetSeconds * 1000, async () => {
      const client = new cassandra.Client(options);
      try {
        await client.connect();
        return client;
      } catch (err) {
        await client.shutdown().catch(() => undefined);
        // Only an unreachable cluster is worth waiting for; refused credentials are final.
        if (!(err instanceof cassandra.errors.NoHostAvailableError) || refusedCredentials(err))
          throw new NotRetried(err);
        throw err;
      }
    });
  } catch (err) {
    if (err instanceof NotRetried) {
      throw new CassandraError(
        `cannot connect to Cassandra at ${points.join(',')}: ${describeCassandraError(err.cause)}`,
        { cause: err.cause },
      );
    }
    throw new ServerUnreachableError(
      'Cassandra',
      points.join(','),
      'SDP_CASSANDRA_CONTACT_POINTS',
      budgetSeconds,
      hostReasons(err),
      { cause: err },
    );
  }
}

/** A failure retryWithin must not retry: it is thrown through it, wrapped. */
class NotRetried extends Error {
  constructor(override readonly cause: unknown) {
    super('not retried');
  }
}

function refusedCredentials(err: cassandra.errors.NoHostAvailableError): boolean {
  const inner = Object.values((err as { innerErrors?: Record<string, unknown> }).innerErrors ?? {});
  return inner.some((e) => e instanceof cassandra.errors.AuthenticationError);
}

/** Why each host failed, one short reason per host (the driver's own message embeds stack traces). */
function hostReasons(err: unknown): string {
  const inner = (err as { innerErrors?: Record<string, unknown> }).innerErrors;
  if (!inner || Object.keys(inner).length === 0) return err instanceof Error ? err.message : String(err);
  return Object.entries(inner)
    .map(([host, e]) => `${host}: ${(e instanceof Error ? e.message : String(e)).replace(/^Error: /, '')}`)
    .join('; ');
}

/**
 * Creates the product's keyspace when missing (NetworkTopologyStrategy with
 * `SDP_CASSANDRA_REPLICATION_FACTOR` replicas in the local DC), applies its
 * pending migrations in order, and returns a session bound to it.
 */
export async function openCassandraSession(
  config: SdpConfig,
  product: string,
  migrations: readonly CassandraMigration[],
  logger?: Logger,
): Promise<CassandraSession> {
  checkMigrations(product, migrations);
  const keyspace = keyspaceFor(config, product);
  const points = contactPoints(config);

  // The keyspace must exist before a client can be bound to it.
  const admin = await connect(driverOptions(config, points), points, config.connectRetrySeconds);
  try {
    await admin.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ` +
        `{'class': 'NetworkTopologyStrategy', '${config.cassandraDc}': ${config.cassandraReplicationFactor}}`,
    );
  } catch (err) {
    throw new CassandraError(`cannot create keyspace ${keyspace}: ${describeCassandraError(err)}`, {
      cause: err,
    });
  } finally {
    await admin.shutdown();
  }

  const client = await connect(driverOptions(config, points, keyspace), points, config.connectRetrySeconds);
  const session = createSession(client, keyspace, `cassandra ${points.join(',')}/${keyspace}`);
  try {
    await migrate(session, product, migrations, logger);
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}

function createSession(client: cassandra.Client, keyspace: string, description: string): CassandraSession {
  const execute = (cql: string, params: unknown[] = [], options?: cassandra.QueryOptions) =>
    client.execute(cql, params, { prepare: true, ...options });
  return {
    client,
    keyspace,
    description,
    execute,
    async *pages(cql, params = [], options = {}) {
      let pageState: string | undefined;
      do {
        const result = await execute(cql, params, {
          fetchSize: options.fetchSize ?? DEFAULT_FETCH_SIZE,
          ...(pageState ? { pageState } : {}),
        });
        if (result.rows.length > 0) yield result.rows;
        pageState = result.pageState ?? undefined;
      } while (pageState);
    },
    async batch(queries, options = {}) {
      if (queries.length === 0) return;
      await client.batch(queries, {
        prepare: true,
        logged: options.logged ?? true,
        counter: options.counter ?? false,
      });
    },
    close: () => client.shutdown(),
  };
}

/**
 * Applies the product's pending migrations, recording each in the keyspace's
 * `sdp_schema_migrations` table. The driver waits for schema agreement after
 * every DDL statement, so the next statement sees the new table on any node.
 */
export async function migrate(
  session: CassandraSession,
  product: string,
  migrations: readonly CassandraMigration[],
  logger?: Logger,
): Promise<number[]> {
  checkMigrations(product, migrations);
  // DDL is not prepared: it runs once, and preparing it would only cost a round trip.
  await session.execute(MIGRATIONS_TABLE, [], { prepare: false });
  const applied = new Map<number, string>();
  for await (const rows of session.pages('SELECT version, name FROM sdp_schema_migrations')) {
    for (const row of rows) applied.set(Number(row.version), String(row.name));
  }
  for (const m of migrations) {
    const name = applied.get(m.version);
    if (name !== undefined && name !== m.name) {
      throw new CassandraError(
        `${product} migration ${m.version} was applied as ${JSON.stringify(name)} but this build calls it ` +
          `${JSON.stringify(m.name)}: applied migrations must never be edited or renumbered`,
      );
    }
  }
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...applied.keys()].filter((v) => !known.has(v));
  if (unknown.length > 0)
    logger?.warn({ product, unknown }, 'keyspace has migrations this build does not know');

  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    for (const [i, statement] of m.up.entries()) {
      try {
        await session.execute(statement, [], { prepare: false });
      } catch (err) {
        throw new CassandraError(
          `${product} migration ${m.version} (${m.name}) failed at statement ${i + 1}/${m.up.length}: ` +
            describeCassandraError(err),
          { cause: err },
        );
      }
    }
    await session.execute('INSERT INTO sdp_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
      m.version,
      m.name,
      new Date(),
    ]);
    logger?.info(
      { product, keyspace: session.keyspace, version: m.version, name: m.name },
      'applied migration',
    );
    done.push(m.version);
  }
  return done;
}

/** Drops a keyspace (tests, `reset`): everything in it is gone. */
export async function dropKeyspace(config: SdpConfig, keyspace: string): Promise<void> {
  if (!IDENTIFIER.test(keyspace))
    throw new CassandraError(`not a keyspace name: ${JSON.stringify(keyspace)}`);
  const points = contactPoints(config);
  const admin = await connect(driverOptions(config, points), points, config.connectRetrySeconds);
  try {
    await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await admin.shutdown();
  }
}
