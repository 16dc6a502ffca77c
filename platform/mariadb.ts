/**
 * MariaDB plumbing shared by every MariaDB-backed product: a pool opened from a
 * `mysql://` URL, versioned migrations per product, and transactions that are
 * retried when InnoDB picks them as a deadlock victim.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createPool, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import type { Logger } from 'pino';
import { retryWithin, ServerUnreachableError } from '../config/unreachable';

export class MariaDbError extends Error {
  override name = 'MariaDbError';
}

export interface MariaDbTarget {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

/** Parses `mysql://user:pass@host:port/db` (or `mariadb://`); user and password may be percent-encoded. */
export function parseMariaDbUrl(url: string): MariaDbTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The raw string may hold a password, so it is not echoed back.
    throw new MariaDbError('MariaDB URL is not a URL (expected mysql://user:pass@host:3306/db)');
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new MariaDbError(`MariaDB URL must start with mysql:// or mariadb://, got ${parsed.protocol}//`);
  }
  // Options in the query string would be silently ignored, and a TLS or timeout
  // setting someone believes is active is worse than a refusal.
  if (parsed.search) {
    throw new MariaDbError(
      `MariaDB URL ${redactMariaDbUrl(url)} has query parameters, which are not supported`,
    );
  }
  const database = decodeURIComponent(parsed.pathname.slice(1));
  if (!database || database.includes('/')) {
    throw new MariaDbError(
      `MariaDB URL ${redactMariaDbUrl(url)} must name one database, e.g. mysql://root@127.0.0.1:3306/test`,
    );
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || 'root',
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database,
  };
}

/** The URL with its password replaced by `***`, for logs and error messages. */
export function redactMariaDbUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable MariaDB URL>';
  }
}

/** `message (CODE)` of a driver or socket error; connection failures can be AggregateErrors with no message. */
export function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const inner = err instanceof AggregateError ? err.errors.map(describeCause).join('; ') : '';
  const message = err.message || inner || err.name;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

export interface MariaDbPoolOptions {
  /** Connections kept by the pool (default 8). */
  connectionLimit?: number;
  logger?: Logger;
  /**
   * How long to keep trying a server that refuses or does not answer before
   * giving up with a ServerUnreachableError (SDP_CONNECT_RETRY_SECONDS in ms);
   * default 0: one try.
   */
  connectRetryMs?: number;
}

/** Socket-level failures: the server is not (yet) there. Anything else (a refused login, no such database) is final. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
]);

function isUnreachable(err: unknown): boolean {
  const codes = [err, ...(err instanceof AggregateError ? err.errors : [])].map(
    (e) => (e as { code?: unknown }).code,
  );
  return codes.some((c) => typeof c === 'string' && UNREACHABLE_CODES.has(c));
}

/**
 * Every session gets the same strictness whatever the server's defaults: strict
 * mode turns a too-long title into an error (and a failed batch) instead of a
 * silently truncated key, and UTC keeps DATETIME round trips exact with the
 * driver's `timezone: 'Z'`.
 */
const SESSION_SETUP =
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', " +
  "time_zone = '+00:00'";

const descriptions = new WeakMap<Pool, string>();

/** A failure retryWithin must not retry (a refused login, an unknown database): thrown through it, wrapped. */
class Final extends Error {
  constructor(override readonly cause: unknown) {
    super('final');
  }
}

/**
 * Opens a pool and proves it can reach the server, so a wrong URL fails start-up
 * with the URL (password hidden) and the cause rather than at the first query.
 */
export async function openMariaDbPool(url: string, opts: MariaDbPoolOptions = {}): Promise<Pool> {
  const target = parseMariaDbUrl(url);
  const pool = createPool({
    ...target,
    connectionLimit: opts.connectionLimit ?? 8,
    waitForConnections: true,
    charset: 'UTF8MB4_UNICODE_CI',
    // Ids are JSON numbers ≤ 2^53−1 in the events, so BIGINTs come back as numbers.
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
    multipleStatements: false,
    connectTimeout: 10_000,
    enableKeepAlive: true,
  });
  // Emitted with the callback-style connection before the pool hands it out, and
  // a connection runs its commands in order, so no query can precede the setup.
  pool.on('connection', (connection) => {
    const core = connection as unknown as {
      query(sql: string, cb: (err: Error | null) => void): void;
      destroy(): void;
    };
    core.query(SESSION_SETUP, (err) => {
      if (!err) return;
      opts.logger?.error({ err }, 'MariaDB session setup failed; dropping the connection');
      core.destroy();
    });
  });
  const budgetMs = opts.connectRetryMs ?? 0;
  try {
    await retryWithin(budgetMs, async () => {
      try {
        const conn = await pool.getConnection();
        try {
          await conn.ping();
        } finally {
          conn.release();
        }
      } catch (err) {
        if (!isUnreachable(err)) throw new Final(err);
        throw err;
      }
    });
  } catch (e) {
    await pool.end().catch(() => undefined);
    const err = e instanceof Final ? e.cause : e;
    if (isUnreachable(err)) {
      throw new ServerUnreachableError(
        'MariaDB',
        redactMariaDbUrl(url),
        'SDP_MARIADB_URL',
        Math.round(budgetMs / 1000),
        describeCause(err),
        { cause: err },
      );
    }
    throw new MariaDbError(`cannot connect to MariaDB at ${redactMariaDbUrl(url)}: ${describeCause(err)}`, {
      cause: err,
    });
  }
  descriptions.set(pool, `mariadb ${target.host}:${target.port}/${target.database}`);
  return pool;
}

/** `mariadb host:port/db` for a pool from `openMariaDbPool`, for start-up logs. */
export function describeMariaDbPool(pool: Pool): string {
  return descriptions.get(pool) ?? 'mariadb';
}

/** A database made for one run (a test file, a benchmark), dropped when it is done. */
export interface ScratchDatabase {
  name: string;
  /** The same server and credentials as the server URL it was made on, this database. */
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database `<prefix>_<pid>_<random>` (utf8mb4) on the server `serverUrl` names. */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const onServer = async (sql: string) => {
    const pool = await openMariaDbPool(serverUrl, { connectionLimit: 1 });
    try {
      await pool.query(sql);
    } finally {
      await pool.end();
    }
  };
  await onServer(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => onServer(`DROP DATABASE IF EXISTS \`${name}\``) };
}

export interface Migration {
  /** Positive, strictly increasing within a product; never renumber or edit an applied one. */
  version: number;
  name: string;
  /**
   * Statements run one by one (multipleStatements is off). DDL commits implicitly
   * in MariaDB, so a migration that fails half-way is not rolled back: write them
   * re-runnable (`IF NOT EXISTS`), and the next start completes it.
   */
  up: string[];
}

export interface MigrateOptions {
  logger?: Logger;
  /** Seconds to wait for another process migrating the same product (default 30). */
  lockTimeoutSeconds?: number;
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS sdp_schema_migrations (
  product VARCHAR(64) NOT NULL,
  version INT UNSIGNED NOT NULL,
  name VARCHAR(255) NOT NULL,
  applied_at DATETIME(6) NOT NULL,
  PRIMARY KEY (product, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin`;

function checkMigrations(product: string, migrations: readonly Migration[]): void {
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(product)) {
    throw new MariaDbError(`product name ${JSON.stringify(product)} must match [a-z][a-z0-9_]{0,31}`);
  }
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new MariaDbError(
        `${product} migration versions must be positive and increasing; ${m.version} follows ${previous}`,
      );
    }
    if (!m.name || m.name.length > 255)
      throw new MariaDbError(`${product} migration ${m.version} needs a name of 1-255 characters`);
    if (m.up.length === 0) throw new MariaDbError(`${product} migration ${m.version} has no statements`);
    previous = m.version;
  }
}

/**
 * GET_LOCK names are server-wide, not per database, so the database is part of
 * the name: two deployments (or test databases) on one server do not wait for
 * each other. Names are limited to 64 characters; a long database name is hashed.
 */
function migrationLockName(product: string, database: string): string {
  const name = `sdp_migrate_${product}.${database}`;
  if (name.length <= 64) return name;
  return `sdp_migrate_${product}.${createHash('sha1').update(database).digest('hex').slice(0, 16)}`;
}

/**
 * Applies the product's pending migrations in version order, recording each in
 * `sdp_schema_migrations`. Processes starting together serialise on a named lock,
 * so each migration runs once. Returns the versions applied by this call.
 */
export async function migrate(
  pool: Pool,
  product: string,
  migrations: readonly Migration[],
  opts: MigrateOptions = {},
): Promise<number[]> {
  checkMigrations(product, migrations);
  const conn = await pool.getConnection();
  let sessionBroken = false;
  let lockName: string | undefined;
  try {
    const [dbRows] = await conn.query<RowDataPacket[]>('SELECT DATABASE() AS db');
    lockName = migrationLockName(product, String(dbRows[0]?.db));
    const timeout = opts.lockTimeoutSeconds ?? 30;
    const [lockRows] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [lockName, timeout]);
    const got = lockRows[0]?.got;
    if (got !== 1) {
      lockName = undefined;
      throw new MariaDbError(
        got === 0
          ? `${product} migrations: another process held the migration lock for more than ${timeout}s`
          : `${product} migrations: GET_LOCK failed`,
      );
    }
    await conn.query(MIGRATIONS_TABLE);
    const [appliedRows] = await conn.query<RowDataPacket[]>(
      'SELECT version, name FROM sdp_schema_migrations WHERE product = ? ORDER BY version',
      [product],
    );
    const applied = new Map(appliedRows.map((r) => [Number(r.version), String(r.name)]));
    for (const m of migrations) {
      const name = applied.get(m.version);
      if (name !== undefined && name !== m.name) {
        throw new MariaDbError(
          `${product} migration ${m.version} was applied as ${JSON.stringify(name)} but this build calls it ` +
            `${JSON.stringify(m.name)}: applied migrations must never be edited or renumbered`,
        );
      }
    }
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied.keys()].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      // A newer build migrated this database; an older one still running during a
      // rollout is expected, so this warns rather than refusing to start.
      opts.logger?.warn({ product, unknown }, 'database has migrations this build does not know');
    }
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      for (const [i, statement] of m.up.entries()) {
        try {
          await conn.query(statement);
        } catch (err) {
          throw new MariaDbError(
            `${product} migration ${m.version} (${m.name}) failed at statement ${i + 1}/${m.up.length}: ${describeCause(err)}`,
            { cause: err },
          );
        }
      }
      await conn.query(
        'INSERT INTO sdp_schema_migrations (product, version, name, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(6))',
        [product, m.version, m.name],
      );
      opts.logger?.info({ product, version: m.version, name: m.name }, 'applied migration');
      done.push(m.version);
    }
    return done;
  } catch (err) {
    sessionBroken = isFatal(err);
    throw err;
  } finally {
    if (lockName !== undefined && !sessionBroken) {
      // A lock that cannot be released dies with its session, so the connection goes too.
      await conn.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => (sessionBroken = true));
    }
    if (sessionBroken) conn.destroy();
    else conn.release();
  }
}

/** InnoDB rolled the whole transaction back to break a deadlock (ER_LOCK_DEADLOCK). */
export function isDeadlock(err: unknown): boolean {
  return (err as { errno?: unknown } | null)?.errno === 1213;
}

function isFatal(err: unknown): boolean {
  return (err as { fatal?: unknown } | null)?.fatal === true;
}

export interface TransactionOptions {
  /** Attempts in all when the transaction is a deadlock victim (default 5). */
  attempts?: number;
  logger?: Logger;
}

/**
 * Runs `work` in a transaction on one pooled connection and commits it. A
 * deadlock victim is retried from the start (InnoDB has already rolled it back),
 * so `work` must be safe to run again; any other error rolls back and propagates.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (conn: PoolConnection) => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const conn = await pool.getConnection();
    let broken = false;
    try {
      await conn.beginTransaction();
      const result = await work(conn);
      await conn.commit();
      return result;
    } catch (err) {
      broken = isFatal(err);
      if (!broken) await conn.rollback().catch(() => (broken = true));
      if (!isDeadlock(err) || attempt >= attempts) throw err;
      // Jittered so the transactions that deadlocked do not collide again in lockstep.
      const delayMs = Math.random() * 10 * 2 ** attempt;
      opts.logger?.warn({ attempt, delayMs: Math.round(delayMs) }, 'deadlock; retrying transaction');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }
}
