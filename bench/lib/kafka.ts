/**
 * The Kafka-protocol cluster W4 ingests from: the test suite's librdkafka mock
 * cluster (test/harness/kafka-mock-cluster.py),
 * run as a benchmark child so it is pinned and stopped like every other one.
 * The test harness's own launcher finds the helper next to its module, which
 * does not exist under dist/; the helper script itself is shared.
 */
import { spawnSync } from 'node:child_process';
import { repoPath } from '../../platform/paths';
import { startChild, type Child } from './children';

/** Debian's interpreter, which has python3-confluent-kafka (the first python3 on PATH may not). */
const PYTHON = '/usr/bin/python3';

export async function startKafka(cpus: string | undefined): Promise<{ brokers: string[]; child: Child }> {
  const probe = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `W4 needs the Kafka mock cluster: ${PYTHON} cannot import confluent_kafka ` +
        `(${probe.error?.message ?? probe.stderr.trim()}); install it with \`apt-get install -y python3-confluent-kafka\``,
    );
  }
  const child = await startChild({
    name: 'kafka mock cluster',
    command: PYTHON,
    args: [repoPath('test', 'harness', 'kafka-mock-cluster.py')],
    cpus,
    ready: /^(\S+:\d+(?:,\S+:\d+)*)$/,
    readyTimeoutMs: 20_000,
  });
  return { brokers: child.match[1]!.split(','), child };
}
