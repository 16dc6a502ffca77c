import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeError, main, version } from '../../cli/sdp';
import { ServerUnreachableError } from '../../config/unreachable';
import { repoPath } from '../../platform/paths';

test('failures read as a message and its causes; the stack only at debug level', () => {
  const err = new Error('pages: cannot consume mediawiki.page_change.v1 from kafka 127.0.0.1:9', {
    cause: new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'),
  });
  expect(describeError(err, {})).toBe(
    'pages: cannot consume mediawiki.page_change.v1 from kafka 127.0.0.1:9\n' +
      '  caused by: Connection error: connect ECONNREFUSED 127.0.0.1:9',
  );
  expect(describeError(err, { SDP_LOG_LEVEL: 'debug' })).toContain('at ');
  expect(describeError('plain', {})).toBe('plain');
});

test('an unreachable server is its own one line, without the causes around it', () => {
  const unreachable = new ServerUnreachableError(
    'Kafka',
    '127.0.0.1:9',
    'SDP_KAFKA_BROKERS',
    5,
    'ECONNREFUSED',
  );
  const err = new Error('pages: cannot consume mediawiki.page_change.v1', { cause: unreachable });
  expect(describeError(err, {})).toBe(
    'cannot reach Kafka at 127.0.0.1:9 (SDP_KAFKA_BROKERS) within 5 s: ECONNREFUSED. Start it or point ' +
      'SDP_KAFKA_BROKERS at it; for a server that takes longer to come up, raise SDP_CONNECT_RETRY_SECONDS.',
  );
});

describe('dispatch', () => {
  let stderr: string[];
  let stdout: string[];
  let spy: jest.SpyInstance;
  let outSpy: jest.SpyInstance;
  beforeEach(() => {
    stderr = [];
    stdout = [];
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    outSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    spy.mockRestore();
    outSpy.mockRestore();
  });

  test('--version prints the package version', async () => {
    expect(await main(['--version'])).toBe(0);
    expect(stdout.join('')).toBe(`sdp ${version()}\n`);
    expect(version()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('no command is a usage error on stderr', async () => {
    expect(await main([])).toBe(2);
    expect(stderr.join('')).toMatch(/^sdp: no command given\n\nusage: sdp <command>/);
    expect(stdout.join('')).toBe('');
  });

  test.each(['start', 'gateway', 'produce', 'load', 'rebuild', 'compose'])(
    'sdp %s --help prints its usage and runs nothing',
    async (name) => {
      // Were the command run, this configuration would stop it (exit 2) before anything else.
      const before = process.env.SDP_PORT;
      process.env.SDP_PORT = 'eighty';
      try {
        expect(await main([name, '--help'])).toBe(0);
        expect(await main(['help', name])).toBe(0);
      } finally {
        if (before === undefined) delete process.env.SDP_PORT;
        else process.env.SDP_PORT = before;
      }
      const [viaFlag, viaHelp] = stdout;
      expect(viaFlag).toMatch(new RegExp(`^usage: sdp ${name}`));
      expect(viaHelp).toBe(viaFlag);
      expect(stderr.join('')).toBe('');
    },
  );

  test('sdp start takes no arguments', async () => {
    expect(await main(['start', '--port', '80'])).toBe(2);
    expect(stderr.join('')).toMatch(/^sdp start: unexpected argument "--port"\n\nusage: sdp start/);
  });

  test('an unknown command is a usage error listing the commands', async () => {
    expect(await main(['frobnicate'])).toBe(2);
    expect(stderr.join('')).toMatch(/unknown command "frobnicate"[\s\S]*start[\s\S]*produce[\s\S]*compose/);
  });

  test('bad configuration is one line naming the variable, exit code 2', async () => {
    const before = process.env.SDP_PORT;
    process.env.SDP_PORT = 'eighty';
    try {
      expect(await main(['start'])).toBe(2);
    } finally {
      if (before === undefined) delete process.env.SDP_PORT;
      else process.env.SDP_PORT = before;
    }
    expect(stderr.join('')).toBe(
      'sdp: configuration error: SDP_PORT="eighty" is not an integer between 0 and 65535\n',
    );
  });
});

test('bin/sdp.js runs as an executable (npx sdp, npm start, Docker) with the Node flags of its first line', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sdp-launcher-'));
  try {
    // A preloaded script records the flags node was started with.
    const probe = path.join(dir, 'probe.js');
    const out = path.join(dir, 'exec-argv.json');
    writeFileSync(
      probe,
      `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.execArgv));`,
    );
    const result = spawnSync(repoPath('bin', 'sdp.js'), ['help'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: [path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
        NODE_OPTIONS: `--require ${probe}`,
      },
    });
    expect(result.stdout + result.stderr).toMatch(/usage: sdp/);
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toContain('--max-semi-space-size=64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
