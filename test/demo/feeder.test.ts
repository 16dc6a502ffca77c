/**
 * The demo feeder on the embedded event log (the log `npm start` uses): for each
 * demo stream, examples first, then the landmarks, then the burst, then the
 * steady rate; only admissible events, keyed as the stream is keyed; nothing
 * more once stopped; blocks on editors the page stream really shows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DEMO_EXAMPLES_DIR,
  DEMO_HISTORY_DAYS,
  DEMO_SEED,
  demoStreams,
  historyClock,
  startDemoFeeder,
} from '../../demo/feeder';
import { landmarkBlocks, landmarkPageChanges } from '../../demo/landmarks';
import { rejectReason } from '../../streams/check';
import { EmbeddedEventLog } from '../../streams/embedded/log';
import type { EventLog, LogMessage } from '../../streams/port';
import { loadEventSchemas } from '../../streams/schemas';
import { PAGE_CHANGE_SCHEMA_TITLE, type PageChangeEvent } from '../../streams/contracts/page-change';
import { USER_BLOCKS_CHANGE_SCHEMA_TITLE, type BlocksChangeEvent } from '../../subgraphs/users/events';
import users from '../../subgraphs/users/product';
import { testLogger } from '../harness/kafka';
import { pollUntil } from '../harness/wait';

const TOPIC = 'demo.mediawiki.page_change.v1';
const BLOCKS_TOPIC = 'demo.mediawiki.user-blocks-change';
const PAGE_EXAMPLES_FILE = path.join(DEMO_EXAMPLES_DIR, 'mediawiki.page_change.v1.ndjson');
const LANDMARK_PAGE_CHANGES = landmarkPageChanges().length;
const isLandmark = (e: PageChangeEvent) => landmarkPageChanges().some((l) => l.meta.id === e.meta.id);
const BLOCKS_EXAMPLES_FILE = path.join(DEMO_EXAMPLES_DIR, 'mediawiki.user-blocks-change.ndjson');

async function total(log: EventLog, topic = TOPIC): Promise<number> {
  const offsets = await log.offsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** Events in every demo stream's topic: what `produced()` counts. */
async function totalAll(log: EventLog): Promise<number> {
  let sum = 0;
  for (const stream of demoStreams({ seed: DEMO_SEED }))
    sum += await total(log, `demo.${stream.binding.stream}`);
  return sum;
}

async function readAll(log: EventLog, count: number, topic = TOPIC): Promise<LogMessage[]> {
  const messages: LogMessage[] = [];
  const consumer = log.consumer({ groupId: `feeder-test-${topic}`, topics: [topic], startFrom: 'earliest' });
  await consumer.run(async (batch) => {
    messages.push(...batch.messages);
  });
  await pollUntil(
    () => messages.length,
    (n) => n >= count,
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  await consumer.stop();
  return messages;
}

describe('startDemoFeeder', () => {
  let log: EventLog;
  let dir: string;
  beforeEach(() => {
    log = new EmbeddedEventLog({ logger: testLogger() });
    dir = mkdtempSync(path.join(tmpdir(), 'sdp-feeder-'));
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays the examples, then the burst, then keeps the rate until stopped', async () => {
    const started = Date.now();
    const feeder = await startDemoFeeder({
      log,
      config: { topicPrefix: 'demo.' },
      logger: testLogger(),
      rate: 50,
      burst: 30,
    });
    // Resolved only once examples, landmarks and burst are in the log: the page example, the
    // landmarks and 30 page changes, and every other stream's examples, landmarks and share of the
    // burst (at least one generated block among them).
    expect(await total(log)).toBe(1 + LANDMARK_PAGE_CHANGES + 30);
    expect(await total(log, BLOCKS_TOPIC)).toBeGreaterThanOrEqual(1 + landmarkBlocks().length + 1);
    expect(feeder.produced()).toBe(await totalAll(log));

    await pollUntil(
      () => total(log),
      (n) => n >= LANDMARK_PAGE_CHANGES + 51,
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    await feeder.stop();
    const produced = feeder.produced();
    await new Promise((r) => setTimeout(r, 300));
    expect(feeder.produced()).toBe(produced);
    expect(await totalAll(log)).toBe(produced);

    const pageCount = await total(log);
    expect(pageCount).toBeGreaterThanOrEqual(LANDMARK_PAGE_CHANGES + 51);
    const blockCount = await total(log, BLOCKS_TOPIC);
    const messages = await readAll(log, pageCount);
    expect(messages).toHaveLength(pageCount);
    const schemas = loadEventSchemas();
    const example = JSON.parse(readFileSync(PAGE_EXAMPLES_FILE, 'utf8')) as PageChangeEvent;
    const historyFrom = started - DEMO_HISTORY_DAYS * 86_400_000;
    let historical = 0;
    for (const m of messages) {
      const event = JSON.parse(m.value?.toString() ?? 'null') as PageChangeEvent;
      expect(schemas.validate(event, PAGE_CHANGE_SCHEMA_TITLE)).toEqual({ ok: true });
      expect(m.key?.toString()).toBe(JSON.stringify({ wiki_id: event.wiki_id, page_id: event.page.page_id }));
      if (event.wiki_id === 'example') {
        // Verbatim, and first in its partition: nothing was produced before it.
        expect(event).toEqual(example);
        expect(m.offset).toBe('0');
      } else if (isLandmark(event)) {
        // Fixed dates, whatever the day: README's examples name them.
        expect(event.dt.startsWith('2026-01-')).toBe(true);
      } else {
        // The burst is the past year's history; what follows carries the wall-clock time of the run.
        expect(Date.parse(event.dt)).toBeGreaterThanOrEqual(historyFrom);
        expect(Date.parse(event.dt)).toBeLessThanOrEqual(Date.now());
        if (Date.parse(event.dt) < started) historical++;
        // A new revision is saved at the event's time.
        if (['create', 'edit', 'move'].includes(event.page_change_kind))
          expect(event.revision.rev_dt).toBe(event.dt);
      }
    }
    expect(messages.filter((m) => m.key?.toString() === '{"wiki_id":"example","page_id":1}')).toHaveLength(1);
    expect(historical).toBe(30);

    const blockExample = JSON.parse(readFileSync(BLOCKS_EXAMPLES_FILE, 'utf8')) as BlocksChangeEvent;
    const editors = new Set(
      messages.flatMap((m) => {
        const e = JSON.parse(m.value!.toString()) as PageChangeEvent;
        return [e.revision.editor?.user_text, e.performer?.user_text].map((n) => `${e.wiki_id} ${n}`);
      }),
    );
    for (const m of await readAll(log, blockCount, BLOCKS_TOPIC)) {
      const event = JSON.parse(m.value!.toString()) as BlocksChangeEvent;
      expect(schemas.validate(event, USER_BLOCKS_CHANGE_SCHEMA_TITLE)).toEqual({ ok: true });
      expect(m.key?.toString()).toBe(JSON.stringify({ wiki_id: event.database, user_text: event.user_text }));
      if (event.database === 'examplewiki') {
        expect(event).toEqual(blockExample);
        expect(m.offset).toBe('0');
      } else if (landmarkBlocks().some((b) => b.meta.id === event.meta.id)) {
        expect(editors).toContain(`${event.database} ${event.user_text}`);
      } else {
        // Blocks land on editors the page stream showed.
        expect(editors).toContain(`${event.database} ${event.user_text}`);
        expect(Date.parse(event.meta.dt)).toBeGreaterThanOrEqual(started);
      }
    }
  });

  it("publishes landmarks that pass the consumers' own admission checks", () => {
    const schemas = loadEventSchemas();
    for (const stream of demoStreams({ seed: DEMO_SEED })) {
      expect(stream.landmarks.length).toBeGreaterThan(0);
      for (const event of stream.landmarks) expect(rejectReason(event, schemas, stream.binding)).toBeNull();
    }
  });

  it('spreads the history clock evenly from its start to now, then follows the clock', () => {
    let now = 10_000;
    const clock = historyClock(() => now, 0, 4);
    expect([clock(), clock(), clock(), clock()]).toEqual([0, 2_500, 5_000, 7_500]);
    expect(clock()).toBe(10_000);
    now = 12_000;
    expect(clock()).toBe(12_000);
  });

  it('shows blocked editors, anonymous and registered, right after the default burst', async () => {
    const feeder = await startDemoFeeder({
      log,
      config: { topicPrefix: 'demo.' },
      logger: testLogger(),
      rate: 0,
      seed: DEMO_SEED,
    });
    await feeder.stop();
    const blocks = (await readAll(log, await total(log, BLOCKS_TOPIC), BLOCKS_TOPIC)).map(
      (m) => JSON.parse(m.value!.toString()) as BlocksChangeEvent,
    );
    const generated = blocks.filter((b) => b.database !== 'examplewiki');
    expect(generated.some((b) => b.user_id === undefined)).toBe(true);
    expect(generated.some((b) => b.user_id !== undefined)).toBe(true);
    // The users product's GraphiQL example asks for one blocked editor by name: the demo must block them.
    const [, wikiId, name] = /user\(wikiId: "(\w+)", name: "([^"]+)"\)/.exec(users.exampleQuery)!;
    expect(generated.map((b) => `${b.database} ${b.user_text}`)).toContain(`${wikiId} ${name}`);
  });

  it('validates before producing: an invalid event is dropped, the rest still go out', async () => {
    const example = readFileSync(PAGE_EXAMPLES_FILE, 'utf8').trim();
    const broken = JSON.stringify({ ...(JSON.parse(example) as object), changelog_kind: 'upsert' });
    writeFileSync(path.join(dir, 'mediawiki.page_change.v1.ndjson'), `${broken}\n${example}\n`);
    // No blocks examples file: that stream simply has no examples.

    const feeder = await startDemoFeeder({
      log,
      config: { topicPrefix: 'demo.' },
      logger: testLogger(),
      rate: 0,
      burst: 5,
      streams: demoStreams({ seed: DEMO_SEED, examplesDir: dir }),
    });
    await feeder.stop();

    expect(await total(log)).toBe(6 + LANDMARK_PAGE_CHANGES);
    expect(feeder.produced()).toBe(await totalAll(log));
    const values = (await readAll(log, 6 + LANDMARK_PAGE_CHANGES)).map(
      (m) => JSON.parse(m.value?.toString() ?? 'null') as PageChangeEvent,
    );
    expect(values).toHaveLength(6 + LANDMARK_PAGE_CHANGES);
    // The broken copy of the example (changelog_kind upsert) never reached the log.
    const examples = values.filter((e) => e.wiki_id === 'example');
    expect(examples).toEqual([JSON.parse(example)]);
  });
});
