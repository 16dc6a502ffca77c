/**
 * What every benchmark host process (a process serving subgraphs for a
 * workload) does around its own start: report readiness on stdout as one
 * `BENCH-READY <json>` line, and stop on SIGTERM/SIGINT or when stdin closes
 * (the benchmark died without stopping it), so no host outlives its run.
 */
export async function runHost<T>(start: () => Promise<{ ready: T; stop(): Promise<void> }>): Promise<void> {
  try {
    const host = await start();
    process.stdout.write(`BENCH-READY ${JSON.stringify(host.ready)}\n`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      host.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`stop failed: ${(error as Error).stack ?? String(error)}\n`);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.stdin.on('end', stop).resume();
  } catch (error) {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
}

/** The `BENCH-READY` line, as startChild's `ready` pattern. */
export const HOST_READY = /^BENCH-READY (.*)$/;
