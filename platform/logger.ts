import pino, { type Logger } from 'pino';

/** The platform's structured logger (JSON lines on stdout). Children carry the component name. */
export function createLogger(level: string, name = 'sdp'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

export type { Logger };
