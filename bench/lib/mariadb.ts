/** Fresh MariaDB databases for W4, one per use, dropped at the end of the run. */
import { randomBytes } from 'node:crypto';
import { describeCause, openMariaDbPool, redactMariaDbUrl } from '../../platform/mariadb';

/** The server W4 writes to: SDP_BENCH_MARIADB_URL, else the one the test suite uses. */
export function benchMariaDbUrl(env = process.env): string {
  return env.SDP_BENCH_MARIADB_URL || 'mysql://root@127.0.0.1:3306/test';
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(base = benchMariaDbUrl()): Promise<BenchDatabase> {
  const name = `sdp_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await openMariaDbPool(base, { connectionLimit: 1 }).catch((error: unknown) => {
    throw new Error(
      `W4 needs MariaDB at ${redactMariaDbUrl(base)} (set SDP_BENCH_MARIADB_URL for another): ${describeCause(error)}`,
      { cause: error },
    );
  });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name,
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
