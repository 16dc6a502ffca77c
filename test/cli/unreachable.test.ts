/**
 * A server that is not there: `sdp produce`, `load`, `rebuild` and `start`
 * give up after SDP_CONNECT_RETRY_SECONDS with one line saying what could not
 * be reached, where, and which variable points there (exit code 1), instead of
 * a minute of client retries. Each case points a variable at a closed local
 * port. A server that comes up within the budget is simply used.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadCommand } from '../../cli/load';
import { produceCommand } from '../../cli/produce';
import { rebuildCommand } from '../../cli/rebuild';
import { main } from '../../cli/sdp';
import { loadConfig } from '../../config/env';
import { ServerUnreachableError } from '../../config/unreachable';
import { openMariaDbPool } from '../../platform/mariadb';
import { dropTestKeyspaces, testCassandraContactPoints } from '../harness/cassandra';
import { testMariaDbUrl } from '../harness/mariadb';
import { startTcpProxy } from '../harness/tcp-proxy';
import { tempDir, writeDump } from '../pageviews/dumps';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function io() {
  return { stdin: process.stdin, stdout: new Capture(), stderr: new Capture() };
}

/** A local port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One second of retries: the cases stay short, and the message names the budget. */
const BUDGET = { SDP_CONNECT_RETRY_SECONDS: '1', SDP_LOG_LEVEL: 'silent' };

/** The one line every case must print: what, where, which variable, what to do. */
function unreachableLine(command: string, what: string, server: string, address: string, variable: string) {
  return new RegExp(
    `^sdp ${command}: ${what}: cannot reach ${server} at ${address.replace(/[.]/g, '\\.')} \\(${variable}\\) ` +
      `within 1 s: [^\\n]*ECONNREFUSED[^\\n]*\\. Start it or point ${variable} at it; for a server that ` +
      'takes longer to come up, raise SDP_CONNECT_RETRY_SECONDS\\.\\n$',
  );
}

test('sdp produce: Kafka not there', async () => {
  const port = await closedPort();
  const streams = io();
  const file = path.join(tempDir(), 'events.ndjson');
  writeFileSync(file, '{}\n');
  const code = await produceCommand(
    ['mediawiki.page_change.v1', file],
    { ...BUDGET, SDP_KAFKA_BROKERS: `127.0.0.1:${port}` },
    streams,
  );
  expect(code).toBe(1);
  expect(streams.stderr.text).toMatch(
    unreachableLine('produce', 'nothing published', 'Kafka', `127.0.0.1:${port}`, 'SDP_KAFKA_BROKERS'),
  );
  expect(streams.stdout.text).toBe('');
});

test('sdp load: Cassandra not there', async () => {
  const port = await closedPort();
  const streams = io();
  const file = writeDump(tempDir(), '2024110112', ['en Main_Page 10 0']);
  const code = await loadCommand(
    ['pageviews', file],
    { ...BUDGET, SDP_CASSANDRA_CONTACT_POINTS: `127.0.0.1:${port}` },
    streams,
  );
  expect(code).toBe(1);
  expect(streams.stderr.text).toMatch(
    unreachableLine(
      'load',
      'nothing loaded',
      'Cassandra',
      `127.0.0.1:${port}`,
      'SDP_CASSANDRA_CONTACT_POINTS',
    ),
  );
});

test('sdp rebuild: Cassandra not there, then Kafka not there', async () => {
  const port = await closedPort();
  const noCassandra = io();
  expect(
    await rebuildCommand(
      ['editstats', '--from', 'earliest'],
      {
        ...BUDGET,
        SDP_KAFKA_BROKERS: `127.0.0.1:${port}`,
        SDP_CASSANDRA_CONTACT_POINTS: `127.0.0.1:${port}`,
      },
      noCassandra,
    ),
  ).toBe(1);
  expect(noCassandra.stderr.text).toMatch(
    unreachableLine(
      'rebuild',
      'nothing was reset',
      'Cassandra',
      `127.0.0.1:${port}`,
      'SDP_CASSANDRA_CONTACT_POINTS',
    ),
  );

  const cassandra = {
    SDP_CASSANDRA_CONTACT_POINTS: testCassandraContactPoints(),
    SDP_CASSANDRA_KEYSPACE_PREFIX: `t${randomBytes(4).toString('hex')}_`,
    SDP_CASSANDRA_CONSISTENCY: 'ONE',
  };
  try {
    const noKafka = io();
    expect(
      await rebuildCommand(
        ['editstats', '--from', 'earliest'],
        { ...BUDGET, ...cassandra, SDP_KAFKA_BROKERS: `127.0.0.1:${port}` },
        noKafka,
      ),
    ).toBe(1);
    // The store was opened (migrated), not reset: the log end comes first, and it could not be read.
    expect(noKafka.stderr.text).toMatch(
      unreachableLine('rebuild', 'nothing was reset', 'Kafka', `127.0.0.1:${port}`, 'SDP_KAFKA_BROKERS'),
    );
  } finally {
    await dropTestKeyspaces(loadConfig(cassandra));
  }
});

describe('sdp start', () => {
  let stderr: string[];
  let spy: jest.SpyInstance;
  const saved = { ...process.env };
  beforeEach(() => {
    stderr = [];
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    spy.mockRestore();
    process.env = { ...saved };
  });

  /** `sdp start` with these variables on top of an isolated platform's. */
  async function start(vars: Record<string, string>): Promise<number> {
    process.env = { ...saved, ...BUDGET, SDP_PORT: '0', SDP_SUBGRAPH_PORT_BASE: '0', SDP_DEMO: '0', ...vars };
    return main(['start']);
  }

  test('MariaDB not there', async () => {
    const port = await closedPort();
    expect(await start({ SDP_MARIADB_URL: `mysql://root:secret@127.0.0.1:${port}/test` })).toBe(1);
    expect(stderr.join('')).toMatch(
      new RegExp(
        `^sdp: cannot reach MariaDB at mysql://root:\\*\\*\\*@127\\.0\\.0\\.1:${port}/test \\(SDP_MARIADB_URL\\) within 1 s: ` +
          '[^\\n]*ECONNREFUSED[^\\n]*raise SDP_CONNECT_RETRY_SECONDS\\.\\n$',
      ),
    );
  });

  test('Kafka not there', async () => {
    const port = await closedPort();
    expect(await start({ SDP_KAFKA_BROKERS: `127.0.0.1:${port}` })).toBe(1);
    expect(stderr.join('')).toMatch(
      new RegExp(
        `^sdp: cannot reach Kafka at 127\\.0\\.0\\.1:${port} \\(SDP_KAFKA_BROKERS\\) within 1 s: [^\\n]*\\n$`,
      ),
    );
  });
});

test('a server that comes up within the budget is used; a refused login is not "unreachable"', async () => {
  const target = new URL(testMariaDbUrl());
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 3306) });
  try {
    await proxy.cut();
    const late = setTimeout(() => void proxy.restore(), 1_500);
    const url = `mysql://${target.username}@127.0.0.1:${proxy.port}${target.pathname}`;
    const pool = await openMariaDbPool(url, { connectionLimit: 1, connectRetryMs: 30_000 });
    clearTimeout(late);
    await pool.end();

    const wrongUser = `mysql://no_such_user_sdp@127.0.0.1:${proxy.port}${target.pathname}`;
    const refused = await openMariaDbPool(wrongUser, { connectionLimit: 1, connectRetryMs: 1_000 }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(Error);
    expect(refused).not.toBeInstanceOf(ServerUnreachableError);
    expect((refused as Error).message).toMatch(/^cannot connect to MariaDB at .*Access denied/);
  } finally {
    await proxy.close();
  }
});
