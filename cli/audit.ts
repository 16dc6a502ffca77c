/**
 * `sdp audit tail [--principal P] [--since T] [--follow]`: prints `sdp.audit.v1`
 * events, one JSON object a line, oldest first. With Kafka (SDP_KAFKA_BROKERS)
 * it reads the topic from its earliest retained offset to its end; otherwise
 * the durable copy under SDP_DATA_DIR that the platform keeps with the embedded
 * log, so it works from another process. `--follow` keeps printing new events.
 *
 * Exit codes: 0; 1 the log could not be read; 2 usage or configuration error.
 */
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { topicFor } from '../config/env';
import {
  AUDIT_STREAM,
  matches,
  readAuditFile,
  type AuditEvent,
  type AuditFilter,
} from '../gateway/audit/audit-log';
import { createEventLog } from '../streams';
import { commandConfig } from './config';
import { describeError } from './sdp';

export interface AuditIo {
  stdout: Writable;
  stderr: Writable;
  /** Ends `--follow` (tests); SIGINT does for people. */
  signal?: AbortSignal;
}

const USAGE = [
  'usage: sdp audit tail [--principal <id or name>] [--since <ISO time>] [--follow]',
  '',
  'Prints sdp.audit.v1 events (reads of protected fields, API key changes), oldest first.',
].join('\n');

/** How often `--follow` looks for new events in the durable file. */
const FOLLOW_POLL_MS = 500;

export async function auditCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: AuditIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const err = (text: string) => io.stderr.write(text + '\n');
  const [action, ...rest] = argv;
  if (action === '-h' || action === '--help') {
    io.stdout.write(USAGE + '\n');
    return 0;
  }
  let values: { principal?: string; since?: string; follow?: boolean };
  try {
    if (action !== 'tail') throw new Error(action ? `unknown action "${action}"` : 'missing action');
    ({ values } = parseArgs({
      args: rest,
      options: { principal: { type: 'string' }, since: { type: 'string' }, follow: { type: 'boolean' } },
    }));
  } catch (error) {
    err(`sdp audit: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const filter: AuditFilter = {};
  if (values.principal !== undefined) filter.principal = values.principal;
  if (values.since !== undefined) {
    const since = new Date(values.since);
    if (Number.isNaN(since.getTime())) {
      err(`sdp audit: --since ${JSON.stringify(values.since)} is not a time (e.g. 2026-01-15T00:00:00Z)`);
      return 2;
    }
    filter.since = since;
  }
  const config = commandConfig('audit', env, err);
  if (!config) return 2;
  const print = (event: AuditEvent) => {
    if (matches(event, filter)) io.stdout.write(JSON.stringify(event) + '\n');
  };
  const stopped = () => io.signal?.aborted ?? false;
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const ended = () => stopped() || stop.signal.aborted;
  try {
    if (config.kafkaBrokers) {
      const logger = pino({ level: 'silent' });
      const log = createEventLog(config, logger);
      const topic = topicFor(config, AUDIT_STREAM);
      try {
        const ends = await log.offsets(topic);
        const remaining = new Map(
          ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]),
        );
        if (remaining.size === 0 && !values.follow) return 0;
        const consumer = log.consumer({
          groupId: `sdp.audit-tail.${process.pid}.${Date.now()}`,
          topics: [topic],
          startFrom: { offsets: {} },
        });
        let done!: () => void;
        const caughtUp = new Promise<void>((resolve) => (done = resolve));
        if (remaining.size === 0) done();
        await consumer.run(async (batch) => {
          for (const message of batch.messages) {
            if (message.value) print(JSON.parse(message.value.toString('utf8')) as AuditEvent);
            const end = remaining.get(batch.partition);
            if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(batch.partition);
          }
          if (remaining.size === 0) done();
        });
        await caughtUp;
        while (values.follow && !ended()) await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
        await consumer.stop();
      } finally {
        await log.close();
      }
      return 0;
    }
    let seen = 0;
    do {
      const events = await readAuditFile(config.access.dataDir);
      for (const event of events.slice(seen)) print(event);
      seen = events.length;
      if (values.follow && !ended()) await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    } while (values.follow && !ended());
    return 0;
  } catch (error) {
    err(`sdp audit: ${describeError(error)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
