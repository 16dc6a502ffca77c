/**
 * The demo feeder: gives a fresh platform something to show. It publishes, to the
 * `mediawiki.page_change.v1` topic of the configured event log,
 *  1. every upstream example event (demo/examples/, verbatim),
 *  2. an initial burst of generated events, so the first query already has data,
 *  3. then `rate` generated events per second until stopped.
 *
 * Generated events are stamped with the wall clock. Each event passes the same
 * admission check as the consumers' (streams/check.ts) before it is produced: a
 * generator bug is logged and the event dropped, never fed to the products
 * (which would dead-letter it).
 *
 * The generator's seed is fixed, so a restarted feeder replays the same history
 * (same page and revision ids, same content) with newer timestamps. Against a
 * durable log and store that converges to the same state instead of mixing two
 * unrelated histories under colliding ids.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { topicFor, type SdpConfig } from '../config/env';
import { repoPath } from '../platform/paths';
import { PAGE_CHANGE_STREAM, type PageChangeEvent } from '../subgraphs/pages/events';
import { pageChangeBinding } from '../subgraphs/pages/product';
import { rejectReason, toMessage } from '../streams/check';
import type { EventLog, LogProducer, OutgoingMessage } from '../streams/port';
import { loadEventSchemas, type EventSchemas } from '../streams/schemas';
import { PageChangeGenerator } from './page-change-generator';

export const DEMO_EXAMPLES_FILE = repoPath('demo', 'examples', 'mediawiki.page_change.v1.ndjson');
export const DEMO_SEED = 20240824;
export const DEMO_BURST = 200;

export interface DemoFeederOptions {
  log: EventLog;
  config: Pick<SdpConfig, 'topicPrefix'>;
  logger: Logger;
  /** Generated events per second after the burst; 0 stops after the burst. */
  rate: number;
  /** Generated events published at once after the examples (default 200). */
  burst?: number;
  seed?: number;
  schemas?: EventSchemas;
  /** Default: the upstream examples copied into demo/examples/. */
  examplesFile?: string;
}

export interface DemoFeeder {
  /** Stops the timer, waits for the batch in flight and closes the producer. */
  stop(): Promise<void>;
  /** Events published so far (examples included). */
  produced(): number;
}

/** Ticks per second at most: high rates are sent in batches rather than one timer per event. */
const MAX_TICKS_PER_SECOND = 10;
/** Refused events kept for the next attempt; beyond this (a long outage) the newest are dropped, keeping a coherent prefix. */
const MAX_UNSENT = 10_000;

function readExamples(file: string): unknown[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (err) {
        throw new Error(`${file} line ${i + 1} is not JSON: ${(err as Error).message}`);
      }
    });
}

/**
 * Starts feeding; resolves once the examples and the burst are in the log, so
 * the platform reports itself up with data to query.
 */
export async function startDemoFeeder(options: DemoFeederOptions): Promise<DemoFeeder> {
  const { log, logger, rate } = options;
  if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`demo feeder rate must be >= 0, got ${rate}`);
  const topic = topicFor(options.config, PAGE_CHANGE_STREAM);
  const schemas = options.schemas ?? loadEventSchemas();
  const generator = new PageChangeGenerator({ seed: options.seed ?? DEMO_SEED, clock: Date.now });
  const examples = readExamples(options.examplesFile ?? DEMO_EXAMPLES_FILE);
  const producer: LogProducer = await log.producer();
  let produced = 0;
  let rejected = 0;

  /** Valid events as keyed messages; invalid ones are logged and dropped. */
  const toMessages = (events: unknown[]): OutgoingMessage[] => {
    const messages: OutgoingMessage[] = [];
    for (const event of events) {
      const reason = rejectReason(event, schemas, pageChangeBinding);
      if (reason !== null) {
        rejected++;
        logger.error({ reason, event }, 'demo event would be dead-lettered; not produced');
        continue;
      }
      // Wikimedia's key for this stream, so one page's events share a partition and stay ordered.
      messages.push(toMessage(pageChangeBinding, event as PageChangeEvent));
    }
    return messages;
  };
  // All or nothing per call: the log either takes every message or throws.
  const send = async (messages: OutgoingMessage[]): Promise<void> => {
    if (messages.length === 0) return;
    await producer.send(topic, messages);
    produced += messages.length;
  };

  try {
    await send(toMessages(examples));
    await send(toMessages(generator.nextN(options.burst ?? DEMO_BURST)));
  } catch (err) {
    await producer.close().catch(() => undefined);
    throw err;
  }
  logger.info({ topic, produced, rejected, rate }, 'demo feeder: examples and initial burst published');

  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let sending = false;
  let stopped = false;
  // Events the log refused, sent again first: dropping them would leave holes in
  // the history (edits of a page whose create never arrived).
  let unsent: OutgoingMessage[] = [];
  if (rate > 0) {
    const started = Date.now();
    let scheduled = 0;
    const tick = () => {
      // A slow log must not pile up overlapping sends; a later tick takes what came due meanwhile.
      if (sending || stopped) return;
      const expected = Math.floor(((Date.now() - started) * rate) / 1000);
      // After a stall, resume the pace rather than bursting all the time missed.
      const due = Math.min(expected - scheduled, Math.ceil(rate));
      scheduled = expected;
      if (due <= 0 && unsent.length === 0) return;
      sending = true;
      const messages = [...unsent, ...toMessages(generator.nextN(Math.max(0, due)))];
      unsent = [];
      inFlight = send(messages)
        .catch((err: unknown) => {
          unsent = messages.slice(0, MAX_UNSENT);
          logger.error(
            { err, unsent: unsent.length, dropped: messages.length - unsent.length },
            'demo feeder: produce failed, will retry',
          );
        })
        .finally(() => {
          sending = false;
        });
    };
    timer = setInterval(tick, Math.max(1000 / rate, 1000 / MAX_TICKS_PER_SECOND));
    // The feeder never keeps the process alive on its own.
    timer.unref();
  }

  return {
    produced: () => produced,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      await inFlight;
      await producer.close();
      logger.info({ produced, rejected }, 'demo feeder stopped');
    },
  };
}
