/**
 * Routes kafkajs' own logging into pino, so the platform has one log stream and
 * one format. Only warn and above pass: kafkajs logs every group join and
 * connection at info, which drowns the platform's own start-up lines.
 */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const fields = { kafkajs: namespace, ...extra };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.info(fields, message);
      else logger.debug(fields, message);
    };
}

/** kafkajs' threshold: messages below it are never built, which keeps the debug firehose free. */
export const KAFKAJS_LOG_LEVEL = logLevel.WARN;
