/**
 * The demo feeder on the embedded event log (the log `npm start` uses): examples
 * first, then the burst, then the steady rate; only schema-valid events, keyed
 * like Wikimedia keys the stream; nothing more once stopped.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_EXAMPLES_FILE, startDemoFeeder } from '../../demo/feeder';
import { EmbeddedEventLog } from '../../streams/embedded/log';
import type { EventLog, LogMessage } from '../../streams/port';
import { loadEventSchemas } from '../../streams/schemas';
import { PAGE_CHANGE_SCHEMA_TITLE, type PageChangeEvent } from '../../subgraphs/pages/events';
import { testLogger } from '../harness/kafka';
import { pollUntil } from '../harness/wait';

const TOPIC = 'demo.mediawiki.page_change.v1';

async function total(log: EventLog): Promise<number> {
  const offsets = await log.offsets(TOPIC);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

async function readAll(log: EventLog, count: number): Promise<LogMessage[]> {
  const messages: LogMessage[] = [];
  const consumer = log.consumer({ groupId: 'feeder-test', topics: [TOPIC], startFrom: 'earliest' });
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
    // Resolved only once examples and burst are in the log.
    expect(feeder.produced()).toBe(31);
    expect(await total(log)).toBe(31);

    await pollUntil(
      () => feeder.produced(),
      (n) => n >= 51,
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    await feeder.stop();
    const produced = feeder.produced();
    expect(produced).toBeGreaterThanOrEqual(51);
    await new Promise((r) => setTimeout(r, 300));
    expect(feeder.produced()).toBe(produced);
    expect(await total(log)).toBe(produced);

    const messages = await readAll(log, produced);
    expect(messages).toHaveLength(produced);
    const schemas = loadEventSchemas();
    const example = JSON.parse(readFileSync(DEMO_EXAMPLES_FILE, 'utf8')) as PageChangeEvent;
    for (const m of messages) {
      const event = JSON.parse(m.value?.toString() ?? 'null') as PageChangeEvent;
      expect(schemas.validate(event, PAGE_CHANGE_SCHEMA_TITLE)).toEqual({ ok: true });
      expect(m.key?.toString()).toBe(JSON.stringify({ wiki_id: event.wiki_id, page_id: event.page.page_id }));
      if (event.wiki_id === 'example') {
        // Verbatim, and first in its partition: nothing was produced before it.
        expect(event).toEqual(example);
        expect(m.offset).toBe('0');
      } else {
        // Generated events carry the wall-clock time of the run.
        expect(Date.parse(event.dt)).toBeGreaterThanOrEqual(started);
        expect(Date.parse(event.dt)).toBeLessThanOrEqual(Date.now());
        // A new revision is saved at the event's time.
        if (['create', 'edit', 'move'].includes(event.page_change_kind))
          expect(event.revision.rev_dt).toBe(event.dt);
      }
    }
    expect(messages.filter((m) => m.key?.toString() === '{"wiki_id":"example","page_id":1}')).toHaveLength(1);
  });

  it('validates before producing: an invalid event is dropped, the rest still go out', async () => {
    const example = readFileSync(DEMO_EXAMPLES_FILE, 'utf8').trim();
    const broken = JSON.stringify({ ...(JSON.parse(example) as object), changelog_kind: 'upsert' });
    const file = path.join(dir, 'examples.ndjson');
    writeFileSync(file, `${broken}\n${example}\n`);

    const feeder = await startDemoFeeder({
      log,
      config: { topicPrefix: 'demo.' },
      logger: testLogger(),
      rate: 0,
      burst: 5,
      examplesFile: file,
    });
    await feeder.stop();

    expect(feeder.produced()).toBe(6);
    const values = (await readAll(log, 6)).map(
      (m) => JSON.parse(m.value?.toString() ?? 'null') as PageChangeEvent,
    );
    expect(values).toHaveLength(6);
    // The broken copy of the example (changelog_kind upsert) never reached the log.
    const examples = values.filter((e) => e.wiki_id === 'example');
    expect(examples).toEqual([JSON.parse(example)]);
  });
});
