/**
 * The two renderings of the platform's log lines (SDP_LOG_FORMAT): pretty for
 * a terminal (time, level, who speaks, message, the other fields on the same
 * line), JSON lines otherwise; and libraries kept to warnings at info.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, libraryLogger, resolveLogFormat } from '../../platform/logger';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sdp-logger-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What a logger writes to a file (not a terminal), given what to log. */
function written(
  format: 'auto' | 'pretty' | 'json',
  level: string,
  log: (l: ReturnType<typeof createLogger>) => void,
) {
  const file = path.join(dir, `${format}.log`);
  const fd = openSync(file, 'w');
  try {
    log(createLogger(level, { format, fd }));
  } finally {
    closeSync(fd);
  }
  return readFileSync(file, 'utf8');
}

test('auto is JSON when the output is not a terminal; pretty and json are what they say', () => {
  const fd = openSync(path.join(dir, 'x'), 'w');
  try {
    expect(resolveLogFormat('auto', fd)).toBe('json');
    expect(resolveLogFormat('pretty', fd)).toBe('pretty');
    expect(resolveLogFormat('json', fd)).toBe('json');
  } finally {
    closeSync(fd);
  }
});

test('pretty: time, level, who speaks, the message, then the other fields on one line', () => {
  const text = written('pretty', 'info', (logger) => {
    logger.child({ product: 'pages' }).child({ component: 'ingest' }).info({ topic: 't' }, 'ingest started');
    logger.child({ component: 'demo-feeder' }).info('demo feeder: burst published');
    logger.debug('not at info');
  });
  expect(text).toMatch(
    /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: pages ingest: ingest started \{"topic":"t"\}\n\[[^\]]+\] INFO: demo feeder: burst published\n$/,
  );
});

test('json: one object per line with the component fields, as log collectors read it', () => {
  const text = written('auto', 'info', (logger) =>
    logger.child({ product: 'pages', component: 'ingest' }).warn({ topic: 't' }, 'slow'),
  );
  const lines = text.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({
    level: 40,
    name: 'sdp',
    product: 'pages',
    component: 'ingest',
    topic: 't',
    msg: 'slow',
  });
});

test("a library's info lines are left out at info, shown at debug; its warnings always pass", () => {
  const atInfo = written('json', 'info', (logger) => {
    const library = libraryLogger(logger.child({ source: 'apollo-gateway' }));
    library.info('Gateway successfully loaded schema.');
    library.warn('deprecated option');
  });
  expect(
    atInfo
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { msg: string }).msg),
  ).toEqual(['deprecated option']);
  const atDebug = written('json', 'debug', (logger) => libraryLogger(logger).info('loaded'));
  expect(JSON.parse(atDebug) as object).toMatchObject({ msg: 'loaded' });
  const atError = written('json', 'error', (logger) => libraryLogger(logger).warn('quiet'));
  expect(atError).toBe('');
});
