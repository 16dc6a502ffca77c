/**
 * Redelivery of one batch with back-off, shared by the event-log adapters.
 *
 * Delivery is at-least-once: a batch whose handler rejects is retried (the same
 * batch, after an exponential back-off), never skipped, because nothing after it on
 * the partition may be committed until it has been handled. Only the consumer
 * stopping (or losing the partition) ends the retries; the batch then stays
 * uncommitted and whoever fetches the partition next starts from it again.
 */
import type { Logger } from 'pino';
import type { BatchHandler, MessageBatch } from './port';

export interface RedeliveryOptions {
  logger: Pick<Logger, 'warn'> | undefined;
  /** Back-off before the first redelivery; doubles per attempt, capped at maxBackoffMs. Default 100 ms. */
  initialBackoffMs?: number;
  /** Default 5 s. */
  maxBackoffMs?: number;
  /**
   * Waits out one back-off. Resolves false to give up (the consumer is stopping or
   * the batch went stale), true to redeliver. May reject, which rejects the delivery.
   */
  wait(ms: number): Promise<boolean>;
}

/** Calls the handler until it resolves (true) or `wait` gives up first (false). */
export async function deliverWithBackoff(
  handler: BatchHandler,
  batch: MessageBatch,
  options: RedeliveryOptions,
): Promise<boolean> {
  const initial = options.initialBackoffMs ?? 100;
  const max = options.maxBackoffMs ?? 5000;
  for (let attempt = 0; ; attempt++) {
    const backoffMs = Math.min(max, initial * 2 ** Math.min(attempt, 20));
    try {
      await handler(batch);
      return true;
    } catch (err) {
      options.logger?.warn(
        {
          err,
          topic: batch.topic,
          partition: batch.partition,
          firstOffset: batch.messages[0]?.offset,
          count: batch.messages.length,
          attempt: attempt + 1,
          backoffMs,
        },
        'batch handler failed; redelivering the same batch after back-off',
      );
    }
    if (!(await options.wait(backoffMs))) return false;
  }
}
