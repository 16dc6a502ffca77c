/** What every workload gets from the runner. */
import type { LoadSettings } from './compare';

export interface BenchContext {
  settings: LoadSettings;
  /** CPU lists for `taskset -c`: the gateway under test, and everything else (subgraphs, load, Kafka). */
  cpus: { gateways: string | undefined; others: string | undefined };
  /** A scratch directory for this run (supergraph files). */
  workDir: string;
  /** Node flags for the stock gateway's process (`--stock-node-flags`); the sdp gateway gets its launcher's. */
  stockNodeFlags: string[];
  /** A progress line on stderr. */
  log(line: string): void;
}
