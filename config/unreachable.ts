/**
 * A configured server (Kafka, MariaDB, Cassandra) that did not answer within
 * the start-up budget (SDP_CONNECT_RETRY_SECONDS). Its message is the whole
 * story in one line: what, where, which variable points there, and what to
 * change; the `sdp` command prints it alone, without the chain of causes
 * around it.
 */
export class ServerUnreachableError extends Error {
  override name = 'ServerUnreachableError';

  constructor(
    /** `Kafka`, `MariaDB`, `Cassandra`. */
    readonly server: string,
    /** Where it was looked for, passwords hidden: `127.0.0.1:9092`. */
    readonly address: string,
    /** The variable that names the address: `SDP_KAFKA_BROKERS`. */
    readonly variable: string,
    budgetSeconds: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `cannot reach ${server} at ${address} (${variable}) within ${budgetSeconds} s: ${reason}. ` +
        `Start it or point ${variable} at it; for a server that takes longer to come up, raise SDP_CONNECT_RETRY_SECONDS.`,
      options,
    );
  }
}

/** The first ServerUnreachableError in `err`'s chain of causes, if any. */
export function findUnreachable(err: unknown): ServerUnreachableError | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 8; depth++) {
    if (e instanceof ServerUnreachableError) return e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

/**
 * Calls `attempt` until it resolves or `budgetMs` has passed, pausing between
 * tries (200 ms, doubling, at most 2 s, never past the deadline). At least one
 * try is made, however small the budget. Rejects with the last failure.
 */
export async function retryWithin<T>(
  budgetMs: number,
  attempt: (remainingMs: number) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let pause = 200; ; pause = Math.min(pause * 2, 2_000)) {
    try {
      return await attempt(Math.max(0, deadline - Date.now()));
    } catch (err) {
      const left = deadline - Date.now();
      if (left <= 0) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }
}
