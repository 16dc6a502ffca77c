/**
 * The platform's structured logger. Children carry the component
 * (`product`, `component`, `stream`, `source`), so one stream of lines says who
 * is speaking.
 *
 * Two renderings of the same lines (SDP_LOG_FORMAT):
 *  - `json`: one JSON object per line, for log collectors; what `auto` picks
 *    when the output is not a terminal (a pipe, a file, a container's log);
 *  - `pretty`: `12:04:31.207 INFO  pages ingest: message {fields}`, through
 *    pino-pretty; what `auto` picks on a terminal.
 *
 * Both write synchronously: logs at info and above are a few lines per
 * start-up or failure, and a line written before the banner must reach the
 * terminal before it.
 */
import { isatty } from 'node:tty';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from '../config/env';

export interface LoggerOptions {
  /** pino's `name` (JSON lines only). Default `sdp`. */
  name?: string;
  /** Default `auto`: pretty when `fd` is a terminal, JSON otherwise. */
  format?: LogFormat;
  /** File descriptor to write to: 1 (stdout, the default), 2 (stderr: for commands whose stdout is their report). */
  fd?: number;
}

/** The format `format` means on `fd`: `auto` becomes `pretty` on a terminal, `json` elsewhere. */
export function resolveLogFormat(format: LogFormat, fd: number): 'pretty' | 'json' {
  if (format !== 'auto') return format;
  return isatty(fd) ? 'pretty' : 'json';
}

/** Fields that name the speaker: shown before the message in pretty lines. */
const SPEAKER_KEYS = ['product', 'component', 'source'] as const;

/** `pages ingest: message` for a line from the pages product's ingest. */
function withSpeaker(line: Record<string, unknown>, message: string): string {
  const parts = SPEAKER_KEYS.map((k) => line[k]).filter((v): v is string => typeof v === 'string');
  const speaker = [...new Set(parts)].join(' ');
  // Some messages name their speaker already ("demo feeder: …").
  return speaker && !message.startsWith(speaker.replace(/-/g, ' ')) ? `${speaker}: ${message}` : message;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const { name = 'sdp', format = 'auto', fd = 1 } = options;
  if (resolveLogFormat(format, fd) === 'json') {
    return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd, sync: true }));
  }
  const stream = pretty({
    destination: fd,
    sync: true,
    colorize: isatty(fd),
    translateTime: 'SYS:HH:MM:ss.l',
    // Who speaks is in front of the message; the rest of the line's fields follow it on one line.
    ignore: ['pid', 'hostname', 'name', ...SPEAKER_KEYS, 'subgraph'].join(','),
    singleLine: true,
    messageFormat: (line, messageKey) => withSpeaker(line, String(line[messageKey] ?? '')),
  });
  return pino({ level, base: undefined }, stream);
}

/**
 * The logger to hand a library (Apollo Server, Apollo Gateway): at `info` its
 * own info lines (start-up notices such as "Gateway successfully loaded
 * schema") are left out, since sdp's own lines say what started; its warnings
 * and errors pass. At `debug` and `trace` it says everything.
 */
export function libraryLogger(logger: Logger): Logger {
  return logger.isLevelEnabled('info') && !logger.isLevelEnabled('debug')
    ? logger.child({}, { level: 'warn' })
    : logger;
}

export type { Logger };
