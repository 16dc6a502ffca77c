/**
 * Polling for tests of asynchronous effects (consumers, ingest, a running platform):
 * read until the effect shows or a deadline passes.
 */

export interface PollOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** Pause between reads; default 25 ms. */
  intervalMs?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Reads until `done(value)` holds or the deadline passes, and returns the last value
 * read either way, so the caller's assertion on it shows what was there on timeout.
 */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 20_000, intervalMs = 25 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(intervalMs);
  }
}

/** Polls until `check` returns true; rejects naming `what` once `timeoutMs` has passed. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<void> {
  const ok = await pollUntil(check, Boolean, { timeoutMs, intervalMs });
  if (!ok) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Retries `check` (typically a block of expects) until it stops throwing; on timeout
 * rethrows its last error. Checks are usually queries, so the default interval is 100 ms.
 */
export async function eventually(check: () => Promise<void>, options: PollOptions = {}): Promise<void> {
  let lastError: unknown;
  const passed = await pollUntil(
    async () => {
      try {
        await check();
        return true;
      } catch (err) {
        lastError = err;
        return false;
      }
    },
    Boolean,
    { intervalMs: 100, ...options },
  );
  if (!passed) throw lastError;
}
