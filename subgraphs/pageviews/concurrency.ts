/**
 * Bounded concurrency: at most `limit` of the tasks run at a time. Cassandra
 * throughput comes from many requests in flight (each one a partition on some
 * replica), but an unbounded fan-out of a large batch would queue thousands of
 * requests in the driver and time out the last ones.
 */
export async function forEachLimit<T>(
  items: Iterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed = false;
  const worker = async () => {
    // A failure stops every worker from taking more work; the first error is reported.
    for (let next = iterator.next(); !next.done && !failed; next = iterator.next()) {
      try {
        await task(next.value);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, limit) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** Like `forEachLimit`, collecting each task's result in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachLimit(items.keys(), limit, async (i) => {
    out[i] = await task(items[i]!);
  });
  return out;
}
