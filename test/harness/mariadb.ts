/**
 * MariaDB for the test suite: a check that the server is there (run once by the
 * global setup) and a fresh database per test file, so files run in parallel
 * without seeing each other's rows.
 */
import {
  createScratchDatabase,
  describeCause,
  openMariaDbPool,
  redactMariaDbUrl,
  type ScratchDatabase,
} from '../../platform/mariadb';

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

export type TestDatabase = ScratchDatabase;

/** A new, empty, uniquely named database (`sdp_t_<pid>_<random>`) on SDP_TEST_MARIADB_URL's server. */
export function createTestDatabase(): Promise<TestDatabase> {
  return createScratchDatabase(testMariaDbUrl(), 'sdp_t');
}
