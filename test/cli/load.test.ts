/**
 * `sdp load`: dispatch to a product's loader without naming products, usage
 * and input errors, a real load into Cassandra (run twice: same report, same
 * rows) and into the embedded store (with its warning), and a failing load.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadCommand } from '../../cli/load';
import { loadConfig } from '../../config/env';
import { retentionOf } from '../../subgraphs/pageviews/store';
import { openCassandraPageviewsStore } from '../../subgraphs/pageviews/store/cassandra';
import { DAY_MS, hourOf } from '../../subgraphs/pageviews/timestamps';
import { dropTestKeyspaces, testCassandraContactPoints } from '../harness/cassandra';
import { syntheticLines, tempDir, writeDump } from '../pageviews/dumps';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await loadCommand(argv, { SDP_LOG_LEVEL: 'silent', ...env }, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const cassandraEnv = {
  SDP_CASSANDRA_CONTACT_POINTS: testCassandraContactPoints(),
  SDP_CASSANDRA_KEYSPACE_PREFIX: `t${randomBytes(4).toString('hex')}_`,
  SDP_CASSANDRA_CONSISTENCY: 'ONE',
};

afterAll(() => dropTestKeyspaces(loadConfig(cassandraEnv)));

const day = hourOf(Date.now() - DAY_MS).slice(0, 8);

describe('usage and input errors (exit 2, nothing loaded)', () => {
  it('lists the products that can be loaded', async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /usage: sdp load <product> \[--memory MB\] <file>\.\.\.[\s\S]*pageviews: Wikimedia hourly pageviews dumps/,
    );
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('pageviews:');
  });

  it.each([
    [['nosuchproduct', 'x'], 'unknown product "nosuchproduct"'],
    [['pages', 'x'], 'product "pages" has no bulk loader'],
    [
      ['pageviews', '/nonexistent/pageviews-20240101-000000'],
      'cannot read /nonexistent/pageviews-20240101-000000',
    ],
    [['pageviews'], 'usage: sdp load'],
    [
      ['pageviews', '--memory', '8', 'x'],
      '--memory must be a whole number of MB between 16 and 65536, got "8"',
    ],
    [
      ['pageviews', '--memory=lots', 'x'],
      '--memory must be a whole number of MB between 16 and 65536, got "lots"',
    ],
    [['pageviews', 'x', '--memory'], '--memory must be a whole number of MB between 16 and 65536, got ""'],
  ])('%j → %s', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('refuses a badly named file before loading anything, with no hint about running it again', async () => {
    const file = path.join(tempDir(), 'pageviews-2024-11-01.gz');
    writeFileSync(file, '');
    const r = await run(['pageviews', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `sdp load: ${file}: not a pageviews dump name (expected pageviews-YYYYMMDD-HH0000 or .gz); nothing was loaded\n`,
    );
    expect(r.stderr).not.toContain('running the same command again');
    expect(r.stdout).toBe('');
  });

  it('says what is missing', async () => {
    expect((await run([])).stderr).toMatch(
      /^sdp load: missing the product and the file\(s\)\n\nusage: sdp load/,
    );
    expect((await run(['pageviews'])).stderr).toMatch(
      /^sdp load: missing the file\(s\) to load into pageviews\n/,
    );
  });

  it('reports a bad configuration by its variable', async () => {
    const file = writeDump(tempDir(), `${day}00`, ['en Foo 1 0']);
    const r = await run(['pageviews', file], { SDP_PAGEVIEWS_HOURLY_RETENTION_DAYS: 'ninety' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SDP_PAGEVIEWS_HOURLY_RETENTION_DAYS="ninety"');
  });
});

describe('loading', () => {
  it('loads dumps into Cassandra, and a second run reports and leaves the same', async () => {
    const dir = tempDir();
    const files = [
      writeDump(dir, `${day}05`, syntheticLines(700)),
      writeDump(dir, `${day}06`, syntheticLines(700), true),
    ];
    const first = await run(['pageviews', ...files], cassandraEnv);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    // The report without its timings.
    const counts = (out: string) => out.replace(/ in [\d.]+ s/, '').replace(/ \(\d+ rows\/s\)/, '');
    expect(first.stdout).toMatch(/loaded 2 file\(s\) into cassandra .*\/t[0-9a-f]{8}_pageviews/);
    expect(first.stdout).toMatch(/records read: +1400\n/);
    // 6 of the 7 synthetic codes map to a wiki; en and en.m (de and de.m) lines of one article share a row
    // when they fall in one batch.
    expect(first.stdout).toMatch(/skipped: +200\n +domain code without a wiki id: 200/);

    const config = loadConfig(cassandraEnv);
    const store = await openCassandraPageviewsStore(config, { retention: retentionOf(config) });
    try {
      const read = () =>
        store.dailyRows(
          ['Article_0000000', 'Article_0000050'].map((title) => ({
            project: 'en.wikipedia',
            title,
            startDay: day,
            endDay: day,
          })),
        );
      const before = await read();
      // Article i of code c has (7i + c) % 500 + 1 views in each of the two hours; en is code 0, en.m code 1.
      expect(before.map((rows) => rows.map((r) => [r.counts.du, r.counts.mwu]))).toEqual([
        [[2 * 1, 2 * 2]],
        [[2 * (350 + 1), 2 * (350 + 2)]],
      ]);
      const second = await run(['pageviews', ...files], cassandraEnv);
      expect(second.code).toBe(0);
      expect(counts(second.stdout)).toEqual(counts(first.stdout));
      expect(await read()).toEqual(before);
    } finally {
      await store.close();
    }
  });

  it('loads into the embedded store with a warning that it is gone on exit', async () => {
    const file = writeDump(tempDir(), `${day}07`, ['en Foo 1 0', 'en Bar 2 0']);
    const r = await run(['pageviews', '--memory', '16', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: pageviews uses embedded');
    expect(r.stdout).toMatch(/records read: +2\n +rows written: +2 /);
  });

  it('exits 1 naming the file when a load fails part-way', async () => {
    const file = writeDump(tempDir(), `${day}08`, ['en Foo 1 0'], true);
    writeFileSync(file, 'not gzip at all');
    const r = await run(['pageviews', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.basename(file)}: cannot read past line 0`);
    expect(r.stderr).toContain('running the same command again');
  });
});
