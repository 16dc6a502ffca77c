/**
 * `sdp rebuild`'s refusals: every usage or configuration problem is exit code
 * 2 with a message saying what to do, before anything is reset or consumed.
 * (The rebuild itself, against Kafka and Cassandra: test/editstats/rebuild.test.ts.)
 */
import { Writable } from 'node:stream';
import { rebuildCommand } from '../../cli/rebuild';
import { main } from '../../cli/sdp';

function capture() {
  const text = { out: '', err: '' };
  const sink = (key: 'out' | 'err') =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        text[key] += chunk.toString();
        done();
      },
    });
  return { io: { stdout: sink('out'), stderr: sink('err') }, text };
}

/** Kafka configured (to a port nothing listens on: none of these cases may connect). */
const KAFKA = { SDP_KAFKA_BROKERS: '127.0.0.1:9', SDP_LOG_LEVEL: 'silent' };

test('--help prints the usage and only the products that can be rebuilt', async () => {
  const { io, text } = capture();
  expect(await rebuildCommand(['--help'], KAFKA, io)).toBe(0);
  expect(text.out).toMatch(
    /^usage: sdp rebuild <product> --from earliest\n[\s\S]*Products that can be rebuilt: editstats, users\n$/,
  );
});

test.each([
  [[], /^sdp rebuild: which product\? Name it first\n\nusage: sdp rebuild/],
  [['--from', 'earliest'], /^sdp rebuild: which product\?/],
  [['editstats'], /^sdp rebuild: --from earliest is required[^\n]*\n\nusage: sdp rebuild/],
  [['editstats', '--since', 'earliest'], /^sdp rebuild: unexpected argument "--since"/],
  [['editstats', '--from'], /--from "" is not supported; only --from earliest/],
  [['editstats', '--from', 'latest'], /--from "latest" is not supported; only --from earliest/],
  [['editstats', '--from', 'earliest', 'extra'], /^sdp rebuild: unexpected argument "extra"/],
  [['nosuch', '--from', 'earliest'], /^sdp rebuild: unknown product "nosuch"; products: .*editstats/],
  [
    ['pages', '--from', 'earliest'],
    /^sdp rebuild: pages cannot be rebuilt: its store cannot be reset; products that can: editstats, users\n$/,
  ],
])('%j is a usage error', async (argv, message) => {
  const { io, text } = capture();
  expect(await rebuildCommand(argv, KAFKA, io)).toBe(2);
  expect(text.err).toMatch(message);
  expect(text.out).toBe('');
});

test('without Kafka there is no log to replay', async () => {
  const { io, text } = capture();
  expect(await rebuildCommand(['editstats', '--from', 'earliest'], {}, io)).toBe(2);
  expect(text.err).toMatch(
    /^sdp rebuild: SDP_KAFKA_BROKERS is not set\. The embedded event log lives inside/,
  );
});

test('an embedded store is refused: it lives in the `sdp start` process', async () => {
  const { io, text } = capture();
  expect(await rebuildCommand(['editstats', '--from', 'earliest'], KAFKA, io)).toBe(2);
  expect(text.err).toBe(
    'sdp rebuild: editstats uses its embedded (in-process memory, not durable) store, which lives in the `sdp start` process ' +
      'and is rebuilt from the log on every start. Configure its real store (see README) to rebuild that one.\n',
  );
});

test('a bad configuration names the variable', async () => {
  const { io, text } = capture();
  expect(
    await rebuildCommand(
      ['editstats', '--from', 'earliest'],
      { ...KAFKA, SDP_CASSANDRA_CONSISTENCY: 'SOME' },
      io,
    ),
  ).toBe(2);
  expect(text.err).toMatch(
    /^sdp rebuild: configuration error: SDP_CASSANDRA_CONSISTENCY="SOME" is not one of/,
  );
});

test('`sdp` lists the command', async () => {
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await main(['help'])).toBe(0);
    expect(spy.mock.calls.map(([chunk]) => String(chunk)).join('')).toMatch(
      /sdp rebuild <product> --from earliest\s+recompute/,
    );
  } finally {
    spy.mockRestore();
  }
});
