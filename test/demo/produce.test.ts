/**
 * `sdp produce` end to end against the Kafka-protocol test cluster: lines go in
 * through the command, and what lands in the topic is read back with the
 * platform's own consumer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { produceCommand, type ProduceIo } from '../../cli/produce';
import { PageChangeGenerator } from '../../demo/page-change-generator';
import type { EventLog, LogMessage } from '../../streams/port';
import type { PageChangeEvent } from '../../streams/contracts/page-change';
import { testKafkaBrokers, testKafkaLog, uniqueTopic } from '../harness/kafka';
import { pollUntil } from '../harness/wait';

const STREAM = 'mediawiki.page_change.v1';
const EXAMPLE = readFileSync(
  path.join(__dirname, '../../demo/examples/mediawiki.page_change.v1.ndjson'),
  'utf8',
).trim();

jest.setTimeout(60_000);

interface Captured {
  io: ProduceIo;
  stdout: () => string;
  stderr: () => string;
}

function capture(stdin: Readable = Readable.from([])): Captured {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  return { io: { stdin, stdout: out, stderr: err }, stdout: () => stdout, stderr: () => stderr };
}

/** Reads `count` messages of `topic` from the beginning with the platform's consumer. */
async function readBack(log: EventLog, topic: string, count: number): Promise<LogMessage[]> {
  const messages: LogMessage[] = [];
  const consumer = log.consumer({
    groupId: uniqueTopic('produce-test'),
    topics: [topic],
    startFrom: 'earliest',
  });
  await consumer.run(async (batch) => {
    messages.push(...batch.messages);
  });
  try {
    await pollUntil(
      () => messages.length,
      (n) => n >= count,
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    // A little longer: more than `count` would mean rejected lines were published too.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await consumer.stop();
  }
  return messages;
}

function kafkaEnv(prefix: string): NodeJS.ProcessEnv {
  return {
    SDP_KAFKA_BROKERS: testKafkaBrokers(),
    SDP_TOPIC_PREFIX: prefix,
    SDP_KAFKA_CLIENT_ID: 'sdp-test',
    // The command logs the Kafka client's warnings to the real stderr; the mock cluster has some.
    SDP_LOG_LEVEL: process.env.SDP_TEST_LOG_LEVEL ?? 'silent',
  };
}

describe('sdp produce', () => {
  let dir: string;
  let log: EventLog;
  const generated = new PageChangeGenerator({ seed: 11 }).nextN(6);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sdp-produce-'));
    log = testKafkaLog();
  });
  afterAll(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the valid lines keyed {wiki_id, page_id}, reports the invalid ones and exits 1', async () => {
    const [a, b, c] = generated as [PageChangeEvent, PageChangeEvent, PageChangeEvent];
    const badKind = { ...b, page_change_kind: 'purge' };
    const extraField = { ...c, page: { ...c.page, page_len: 12 } };
    const unknownVersion = { ...c, $schema: '/mediawiki/page/change/9.9.9' };
    const lines = [
      JSON.stringify(a), // 1
      '{"$schema": "/mediawiki/page/change/1.2.0",', // 2: truncated
      JSON.stringify(badKind), // 3
      '', // 4: blank lines are skipped, not errors
      JSON.stringify(extraField), // 5
      EXAMPLE, // 6: the upstream example, verbatim
      JSON.stringify(unknownVersion), // 7
      JSON.stringify(c), // 8
    ];
    const file = path.join(dir, 'mixed.ndjson');
    writeFileSync(file, lines.join('\r\n') + '\r\n');
    const prefix = `${uniqueTopic('produce')}.`;
    const out = capture();

    const code = await produceCommand([STREAM, file], kafkaEnv(prefix), out.io);

    expect(code).toBe(1);
    const stderr = out.stderr();
    expect(stderr).toMatch(/^line 2: value is not JSON/m);
    expect(stderr).toMatch(/^line 3: .*page_change_kind.*"create"/m);
    expect(stderr).toMatch(/^line 5: .*additional.*page_len/m);
    expect(stderr).toMatch(/^line 7: unknown \$schema "\/mediawiki\/page\/change\/9\.9\.9"/m);
    expect(stderr).not.toMatch(/^line (1|4|6|8):/m);
    expect(stderr).toContain('4 invalid line(s) were not published; the 3 valid one(s) were.');
    expect(out.stdout()).toContain(`published 3 event(s) to topic ${prefix}${STREAM}`);

    const messages = await readBack(log, `${prefix}${STREAM}`, 3);
    const got = messages
      .map((m) => ({
        key: m.key?.toString(),
        value: JSON.parse(m.value?.toString() ?? 'null') as PageChangeEvent,
      }))
      .sort((x, y) => x.value.revision.rev_id - y.value.revision.rev_id);
    const example = JSON.parse(EXAMPLE) as PageChangeEvent;
    expect(got).toEqual(
      [example, a, c]
        .sort((x, y) => x.revision.rev_id - y.revision.rev_id)
        .map((e) => ({ key: JSON.stringify({ wiki_id: e.wiki_id, page_id: e.page.page_id }), value: e })),
    );
  });

  it('reads stdin for "-" and exits 0 when every line is valid', async () => {
    const events = generated.slice(3);
    const prefix = `${uniqueTopic('produce-stdin')}.`;
    const out = capture(Readable.from([events.map((e) => JSON.stringify(e)).join('\n')]));

    const code = await produceCommand([STREAM, '-'], kafkaEnv(prefix), out.io);

    expect(out.stderr()).toBe('');
    expect(code).toBe(0);
    expect(out.stdout()).toContain(`published 3 event(s) to topic ${prefix}${STREAM}`);
    const messages = await readBack(log, `${prefix}${STREAM}`, 3);
    expect(messages.map((m) => m.key?.toString()).sort()).toEqual(
      events.map((e) => JSON.stringify({ wiki_id: e.wiki_id, page_id: e.page.page_id })).sort(),
    );
  });

  it('rejects an unknown stream with exit code 2, listing the known ones', async () => {
    const out = capture();
    const code = await produceCommand(['mediawiki.revision-create', '-'], kafkaEnv('x.'), out.io);
    expect(code).toBe(2);
    expect(out.stderr()).toContain(
      'unknown stream "mediawiki.revision-create"; known streams: mediawiki.page_change.v1',
    );
  });

  it('is a usage error without exactly a stream and a file', async () => {
    const out = capture();
    expect(await produceCommand([STREAM], kafkaEnv('x.'), out.io)).toBe(2);
    expect(out.stderr()).toContain('usage: sdp produce <stream> <file.ndjson|->');
  });

  it('fails clearly when the file cannot be read', async () => {
    const out = capture();
    const missing = path.join(dir, 'missing.ndjson');
    expect(await produceCommand([STREAM, missing], kafkaEnv('x.'), out.io)).toBe(2);
    expect(out.stderr()).toContain(`cannot read ${missing}`);
  });

  it('refuses to run without SDP_KAFKA_BROKERS: the embedded log lives in the platform process', async () => {
    const file = path.join(dir, 'one.ndjson');
    writeFileSync(file, EXAMPLE + '\n');
    const out = capture();
    const code = await produceCommand([STREAM, file], {}, out.io);
    expect(code).toBe(2);
    expect(out.stderr()).toMatch(
      /SDP_KAFKA_BROKERS is not set.*embedded event log.*nothing another process can publish into/s,
    );
    expect(out.stdout()).toBe('');
  });
});
