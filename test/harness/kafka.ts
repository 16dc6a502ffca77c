/**
 * The Kafka-protocol cluster for the test suite: librdkafka's mock cluster (three
 * brokers on loopback TCP), run by kafka-mock-cluster.py under Debian's python3.
 * Nothing is skipped when it is missing: the
 * run fails and says what to install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { loadConfig, type SdpConfig } from '../../config/env';
import { createEventLog } from '../../streams';
import type { EventLog } from '../../streams/port';
import { fromGlobalSetup, stopProcess } from './process';

/** Debian's interpreter: the python3 first on PATH may be a separate build without Debian's packages. */
const PYTHON = '/usr/bin/python3';
const HELPER = path.join(__dirname, 'kafka-mock-cluster.py');
const READY_TIMEOUT_MS = 20_000;

export async function startKafkaCluster(): Promise<{ brokers: string[]; pid: number }> {
  const probe = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import confluent_kafka (${probe.error?.message ?? probe.stderr.trim()}): ` +
        'install it with `apt-get install -y python3-confluent-kafka`',
    );
  }

  // stdin stays open for as long as this process lives: if the test run dies
  // without its teardown, the helper sees EOF and exits instead of lingering.
  const child = spawn(PYTHON, [HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  const brokers = await new Promise<string[]>((resolve, reject) => {
    let stdout = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`kafka mock cluster did not start: ${why}\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`no broker list within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`helper exited (${signal ?? code})`));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(stdout.slice(0, newline).trim().split(','));
    });
  });

  if (child.pid === undefined) throw new Error('kafka mock cluster has no pid');
  // Test workers start after this returns; the helper must not keep jest's own loop alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?: () => void }).unref?.();
  return { brokers, pid: child.pid };
}

export async function stopKafkaCluster(pid: number): Promise<void> {
  await stopProcess(pid, 5_000);
}

/** A topic (or group) name no other test or earlier run uses: the mock cluster is shared by every suite. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Quiet by default; SDP_TEST_LOG_LEVEL=debug shows the adapters' and kafkajs' logs. */
export function testLogger(): Logger {
  return pino({ level: process.env.SDP_TEST_LOG_LEVEL ?? 'silent' });
}

export function testKafkaBrokers(): string {
  return fromGlobalSetup('SDP_TEST_KAFKA_BROKERS', 'the cluster');
}

/**
 * Config for the test cluster, with a short consumer session. The mock cluster
 * does not rebalance at once when a member leaves: the next join waits the session
 * timeout less one second (29 s with the default 30 s), so every test that
 * restarts a group would sit idle that long.
 */
export function testKafkaConfig(env: Record<string, string> = {}): SdpConfig {
  return loadConfig({
    SDP_KAFKA_BROKERS: testKafkaBrokers(),
    SDP_KAFKA_CLIENT_ID: 'sdp-test',
    SDP_KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...env,
  });
}

/** An EventLog on the test cluster, built by createEventLog from testKafkaConfig(). */
export function testKafkaLog(logger: Logger = testLogger()): EventLog {
  return createEventLog(testKafkaConfig(), logger);
}
