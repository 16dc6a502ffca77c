/**
 * The demo feeder: gives a fresh platform something to show. For each demo
 * stream (`demoStreams()`: page changes, then user blocks) it publishes, to the
 * stream's topic of the configured event log,
 *  1. every upstream example event of the stream (demo/examples/<stream>.ndjson, verbatim),
 *  2. the stream's landmarks (demo/landmarks.ts): a fixed history in January 2026 that
 *     README.md's examples query by title and date, whatever day the demo starts,
 *  3. an initial burst of generated events, so the first query already has data,
 *  4. then generated events at `rate` per second until stopped.
 *
 * A demo stream is its product binding (which gives the topic, the admission
 * check and the Kafka key) plus a generator; adding a stream is one more entry
 * in `demoStreams()`. `rate` and the burst count page changes; every other
 * stream generates its share for the same span of demo time (blocks are rare,
 * pageview counts hourly), so `next(n)` says "n page changes' worth".
 *
 * The burst is history: its page changes are spread evenly over the last
 * `DEMO_HISTORY_DAYS` days, and the pageview stream covers those days sparsely
 * (one evening hour a day for each wiki's most viewed pages), so date-range
 * queries over the past year (edit statistics, daily pageviews) have data on a
 * fresh start. Everything after the burst is stamped with the wall clock.
 *
 * Each event passes the same
 * admission check as the consumers' (streams/check.ts) before it is produced: a
 * generator bug is logged and the event dropped, never fed to the products
 * (which would dead-letter it).
 *
 * The generators' seed is fixed, so a restarted feeder replays the same history
 * (same ids, same content) with newer timestamps. Against a durable log and
 * store that converges to the same state instead of mixing two unrelated
 * histories under colliding ids.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { topicFor, type SdpConfig } from '../config/env';
import { repoPath } from '../platform/paths';
import type { StreamBinding } from '../platform/product';
import { pageChangeBinding } from '../subgraphs/pages/product';
import { pageviewHourlyBinding } from '../subgraphs/pageviews/product';
import { userBlocksChangeBinding } from '../subgraphs/users/product';
import { rejectReason, toMessage } from '../streams/check';
import type { EventLog, LogProducer, OutgoingMessage } from '../streams/port';
import { loadEventSchemas, type EventSchemas } from '../streams/schemas';
import { landmarkBlocks, landmarkPageChanges, landmarkPageviews } from './landmarks';
import { PageChangeGenerator } from './page-change-generator';
import { PageviewGenerator } from './pageview-generator';
import { UserBlocksGenerator } from './user-blocks-generator';

export const DEMO_EXAMPLES_DIR = repoPath('demo', 'examples');
export const DEMO_SEED = 20240824;
export const DEMO_BURST = 1000;
/** Days of history the burst covers. */
export const DEMO_HISTORY_DAYS = 365;
const DAY_MS = 86_400_000;

/** One stream the demo feeds. */
export interface DemoStream {
  /** The consuming product's binding: topic (its stream), admission (schema and domain checks) and key. */
  // Each stream has its own event type; the binding is typed where the stream is declared.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  binding: Pick<StreamBinding<unknown, any>, 'stream' | 'schemaTitle' | 'invalidReason' | 'key'>;
  /** Upstream example events, published verbatim before anything generated. */
  examples: unknown[];
  /** Fixed events published after the examples (demo/landmarks.ts), before anything generated. */
  landmarks: unknown[];
  /** Generated events for `n` page changes' worth of demo time, in the order to publish them. */
  next(n: number): unknown[];
}

export interface DemoStreamsOptions {
  seed: number;
  /** Wall clock for event times; without one, the generators simulate time (tests). */
  clock?: () => number;
  /**
   * With a clock: the first `pageChanges` page changes are spread evenly from
   * `fromMs` to the clock's time instead of all being stamped now, and pageviews
   * cover the days since `fromMs`.
   */
  history?: { fromMs: number; pageChanges: number };
  /** Folder of `<stream>.ndjson` example files (default demo/examples/); a stream without one has none. */
  examplesDir?: string;
}

/**
 * The demo's streams, in publishing order. The blocks generator learns its
 * targets from the page changes generated before it, so blocks land on editors
 * the pages product shows.
 */
export function demoStreams(options: DemoStreamsOptions): DemoStream[] {
  const dir = options.examplesDir ?? DEMO_EXAMPLES_DIR;
  const { clock, history } = options;
  const pageClock = clock && history ? historyClock(clock, history.fromMs, history.pageChanges) : clock;
  const pages = new PageChangeGenerator({ seed: options.seed, clock: pageClock });
  const blocks = new UserBlocksGenerator({ seed: options.seed, clock });
  const views = new PageviewGenerator({
    seed: options.seed,
    clock,
    historyFromMs: clock && history ? history.fromMs : undefined,
  });
  return [
    {
      binding: pageChangeBinding,
      examples: readExamples(dir, pageChangeBinding.stream),
      landmarks: landmarkPageChanges(),
      next: (n) => {
        const events = pages.nextN(n);
        blocks.observe(events);
        views.observe(events);
        return events;
      },
    },
    {
      binding: userBlocksChangeBinding,
      examples: readExamples(dir, userBlocksChangeBinding.stream),
      landmarks: landmarkBlocks(),
      next: (n) => blocks.next(n),
    },
    {
      binding: pageviewHourlyBinding,
      examples: readExamples(dir, pageviewHourlyBinding.stream),
      landmarks: landmarkPageviews(),
      next: (n) => views.next(n),
    },
  ];
}

/**
 * A clock that walks from `fromMs` to `clock()` in `steps` readings, then
 * follows `clock`: stamped with it, a generator's first `steps` events spread
 * over that span, in order, and the rest are live.
 */
export function historyClock(clock: () => number, fromMs: number, steps: number): () => number {
  let cursor: number | undefined;
  let step = 0;
  return () => {
    const now = clock();
    if (cursor === undefined) {
      step = Math.max(0, (now - fromMs) / Math.max(1, steps));
      cursor = fromMs;
    } else {
      cursor += step;
    }
    return Math.min(cursor, now);
  };
}

export interface DemoFeederOptions {
  log: EventLog;
  config: Pick<SdpConfig, 'topicPrefix'>;
  logger: Logger;
  /** Page changes per second after the burst (other streams in proportion); 0 stops after the burst. */
  rate: number;
  /** Page changes' worth of events published at once after the examples (default 200). */
  burst?: number;
  seed?: number;
  schemas?: EventSchemas;
  /** Default: `demoStreams()` on the wall clock with the repository's examples. */
  streams?: DemoStream[];
}

export interface DemoFeeder {
  /** Stops the timer, waits for the batch in flight and closes the producer. */
  stop(): Promise<void>;
  /** Events published so far, over every stream (examples included). */
  produced(): number;
}

/** Ticks per second at most: high rates are sent in batches rather than one timer per event. */
const MAX_TICKS_PER_SECOND = 10;
/** Refused events kept per stream for the next attempt; beyond this (a long outage) the newest are dropped, keeping a coherent prefix. */
const MAX_UNSENT = 10_000;

/** The examples of `stream` in `dir`, none when it has no file. */
export function readExamples(dir: string, stream: string): unknown[] {
  const file = path.join(dir, `${stream}.ndjson`);
  if (!existsSync(file)) return [];
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
  const schemas = options.schemas ?? loadEventSchemas();
  const burst = options.burst ?? DEMO_BURST;
  const streams =
    options.streams ??
    demoStreams({
      seed: options.seed ?? DEMO_SEED,
      clock: Date.now,
      history: { fromMs: Date.now() - DEMO_HISTORY_DAYS * DAY_MS, pageChanges: burst },
    });
  const feeds = streams.map((stream) => ({
    stream,
    topic: topicFor(options.config, stream.binding.stream),
    // Events the log refused, sent again first: dropping them would leave holes in
    // the history (edits of a page whose create never arrived).
    unsent: [] as OutgoingMessage[],
  }));
  const producer: LogProducer = await log.producer();
  let produced = 0;
  let rejected = 0;

  /** Valid events as messages keyed like the stream; invalid ones are logged and dropped. */
  const toMessages = (stream: DemoStream, events: unknown[]): OutgoingMessage[] => {
    const messages: OutgoingMessage[] = [];
    for (const event of events) {
      const reason = rejectReason(event, schemas, stream.binding);
      if (reason !== null) {
        rejected++;
        logger.error(
          { reason, event, stream: stream.binding.stream },
          'demo event would be dead-lettered; not produced',
        );
        continue;
      }
      // The stream's key, so one entity's events share a partition and stay ordered.
      messages.push(toMessage(stream.binding, event));
    }
    return messages;
  };
  // All or nothing per call: the log either takes every message or throws.
  const send = async (topic: string, messages: OutgoingMessage[]): Promise<void> => {
    if (messages.length === 0) return;
    await producer.send(topic, messages);
    produced += messages.length;
  };

  try {
    for (const feed of feeds) await send(feed.topic, toMessages(feed.stream, feed.stream.examples));
    for (const feed of feeds) await send(feed.topic, toMessages(feed.stream, feed.stream.landmarks));
    // Generated for every stream before any is sent, so each generator sees the same history whatever the log does.
    const generated = feeds.map((feed) => toMessages(feed.stream, feed.stream.next(burst)));
    for (const [i, feed] of feeds.entries()) await send(feed.topic, generated[i]!);
  } catch (err) {
    await producer.close().catch(() => undefined);
    throw err;
  }
  logger.info(
    { topics: feeds.map((f) => f.topic), produced, rejected, rate },
    'demo feeder: examples, landmarks and initial burst published',
  );

  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let sending = false;
  let stopped = false;
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
      if (due <= 0 && feeds.every((f) => f.unsent.length === 0)) return;
      sending = true;
      const batches = feeds.map((feed) => {
        const messages = [...feed.unsent, ...toMessages(feed.stream, feed.stream.next(Math.max(0, due)))];
        feed.unsent = [];
        return messages;
      });
      inFlight = (async () => {
        for (const [i, feed] of feeds.entries()) {
          const messages = batches[i]!;
          try {
            await send(feed.topic, messages);
          } catch (err) {
            feed.unsent = messages.slice(0, MAX_UNSENT);
            logger.error(
              {
                err,
                topic: feed.topic,
                unsent: feed.unsent.length,
                dropped: messages.length - feed.unsent.length,
              },
              'demo feeder: produce failed, will retry',
            );
          }
        }
      })().finally(() => {
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
