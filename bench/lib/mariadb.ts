/** Fresh MariaDB databases for W4, one per use, dropped at the end of the run. */
import {
  createScratchDatabase,
  describeCause,
  redactMariaDbUrl,
  type ScratchDatabase,
} from '../../platform/mariadb';

/** The server W4 writes to: SDP_BENCH_MARIADB_URL, else the one the test suite uses. */
export function benchMariaDbUrl(env = process.env): string {
  return env.SDP_BENCH_MARIADB_URL || 'mysql://root@127.0.0.1:3306/test';
}

export type BenchDatabase = ScratchDatabase;

/** A new database `sdp_bench_<pid>_<random>` on the benchmark's server. */
export async function createBenchDatabase(base = benchMariaDbUrl()): Promise<BenchDatabase> {
  return createScratchDatabase(base, 'sdp_bench').catch((error: unknown) => {
    throw new Error(
      `W4 needs MariaDB at ${redactMariaDbUrl(base)} (set SDP_BENCH_MARIADB_URL for another): ${describeCause(error)}`,
      { cause: error },
    );
  });
}
