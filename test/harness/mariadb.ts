/**
 * MariaDB for the test suite: a check that the server is there (run once by the
 * global setup) and a fresh database per test file, so files run in parallel
 * without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { describeCause, openMariaDbPool, redactMariaDbUrl } from '../../platform/mariadb';

export const DEFAULT_TEST_MARIADB_URL = 'mysql://root@127.0.0.1:3306/test';

export function testMariaDbUrl(): string {
  return process.env.SDP_TEST_MARIADB_URL || DEFAULT_TEST_MARIADB_URL;
}

export async function checkMariaDb(url: string): Promise<void> {
  try {
    const pool = await openMariaDbPool(url, { connectionLimit: 1 });
    try {
      await pool.query('SELECT 1');
    } finally {
      await pool.end();
    }
  } catch (err) {
    throw new Error(
      `The test suite needs MariaDB at ${redactMariaDbUrl(url)} (set SDP_TEST_MARIADB_URL to use another), ` +
        `and it cannot be used: ${describeCause(err)}.\n` +
        'Start it with:   start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd\n' +
        'or install it:   apt-get install -y mariadb-server',
      { cause: err },
    );
  }
}

export interface TestDatabase {
  /** URL of the new database, same server and credentials as SDP_TEST_MARIADB_URL. */
  url: string;
  drop(): Promise<void>;
}

/** A new, empty, uniquely named database (`sdp_t_<pid>_<random>`). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = testMariaDbUrl();
  const name = `sdp_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await openMariaDbPool(base, { connectionLimit: 1 });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const pool = await openMariaDbPool(base, { connectionLimit: 1 });
      try {
        await pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await pool.end();
      }
    },
  };
}
