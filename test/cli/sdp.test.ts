import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeError, main } from '../../cli/sdp';
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

describe('dispatch', () => {
  let stderr: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    stderr = [];
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

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
