/**
 * `sdp produce <stream> <file.ndjson|->`: validates newline-delimited JSON events
 * and publishes the valid ones to the stream's topic, keyed the way Wikimedia
 * keys that stream, through the configured Kafka cluster.
 *
 * Each line is validated against the schema its own `$schema` names, which must
 * be a version of the stream's schema title. Invalid lines are reported as
 * `line N: reason` on stderr and not published; the valid ones still are.
 *
 * Exit codes: 0 all published; 1 some lines rejected or publishing failed;
 * 2 usage or configuration error (nothing published).
 */
import { constants as fsConstants, createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { topicFor } from '../config/env';
import { findUnreachable } from '../config/unreachable';
import { createLogger } from '../platform/logger';
import { createEventLog } from '../streams';
import type { OutgoingMessage } from '../streams/port';
import { streamBindings } from '../platform/products';
import { admit, toMessage } from '../streams/check';
import { loadEventSchemas } from '../streams/schemas';
import { commandConfig } from './config';

/** Messages per produce request: large enough for throughput, small enough to stay under broker limits. */
export const PRODUCE_BATCH_SIZE = 500;

export interface ProduceIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** `sdp produce --help`. */
export function produceUsage(streams = [...streamBindings().keys()]): string {
  return [
    'usage: sdp produce <stream> <file.ndjson|->',
    '',
    'Validates each line (one JSON event) against the schema its $schema names and',
    'publishes the valid ones to the stream\'s topic on SDP_KAFKA_BROKERS. "-" reads stdin.',
    `Streams: ${streams.join(', ')}`,
  ].join('\n');
}

export async function produceCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: ProduceIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const out = (text: string) => io.stdout.write(text + '\n');
  const err = (text: string) => io.stderr.write(text + '\n');

  // The streams the products consume, each with its schema title, key and domain checks.
  const bindings = streamBindings();
  const known = [...bindings.keys()];
  if (argv.includes('-h') || argv.includes('--help')) {
    out(produceUsage(known));
    return 0;
  }
  if (argv.length !== 2) {
    const problem =
      argv.length === 0
        ? 'missing the stream and the file to read'
        : argv.length === 1
          ? 'missing the file to read (a path, or - for stdin)'
          : `unexpected argument ${JSON.stringify(argv[2])}`;
    err(`sdp produce: ${problem}\n\n${produceUsage(known)}`);
    return 2;
  }
  const [stream, file] = argv as [string, string];
  const binding = bindings.get(stream);
  if (!binding) {
    err(`sdp produce: unknown stream "${stream}"; known streams: ${known.join(', ')}`);
    return 2;
  }

  const config = commandConfig('produce', env, err);
  if (!config) return 2;
  if (!config.kafkaBrokers) {
    err(
      'sdp produce: SDP_KAFKA_BROKERS is not set. Without it the platform uses its embedded event log, ' +
        'which lives inside the `sdp start` process: there is nothing another process can publish into. ' +
        'Point SDP_KAFKA_BROKERS at the Kafka cluster the platform reads (e.g. localhost:9092).',
    );
    return 2;
  }
  if (file !== '-') {
    try {
      await access(file, fsConstants.R_OK);
    } catch (e) {
      err(`sdp produce: cannot read ${file}: ${(e as Error).message}`);
      return 2;
    }
  }

  const topic = topicFor(config, stream);
  const schemas = loadEventSchemas();
  // Logs go to stderr: stdout carries the command's own report.
  const level = env.SDP_LOG_LEVEL ? config.logLevel : 'warn';
  const logger = createLogger(level, { name: 'sdp-produce', format: config.logFormat, fd: 2 });
  const log = createEventLog(config, logger);
  const input = file === '-' ? io.stdin : createReadStream(file, { encoding: 'utf8' });
  let published = 0;
  let rejected = 0;
  let lineNo = 0;
  try {
    const producer = await log.producer();
    try {
      let batch: OutgoingMessage[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await producer.send(topic, batch);
        published += batch.length;
        batch = [];
      };
      // readline streams the file: memory stays flat however many lines it has.
      for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        const line = raw.trim();
        if (line === '') continue;
        const admitted = admit(line, schemas, binding);
        if ('reason' in admitted) {
          rejected++;
          err(`line ${lineNo}: ${admitted.reason}`);
          continue;
        }
        // The line as given, not re-serialised: what was validated is what is published.
        batch.push(toMessage(binding, admitted.event, line));
        if (batch.length >= PRODUCE_BATCH_SIZE) await flush();
      }
      await flush();
    } finally {
      await producer.close();
    }
  } catch (e) {
    const unreachable = findUnreachable(e);
    if (unreachable) err(`sdp produce: nothing published: ${unreachable.message}`);
    else
      err(
        `sdp produce: stopped at line ${lineNo} after publishing ${published} event(s) to ${topic}: ${(e as Error).message}`,
      );
    return 1;
  } finally {
    await log.close();
  }

  out(`published ${published} event(s) to topic ${topic} (${log.description}); rejected ${rejected} line(s)`);
  if (rejected > 0) {
    err(`sdp produce: ${rejected} invalid line(s) were not published; the ${published} valid one(s) were.`);
    return 1;
  }
  return 0;
}
