/**
 * Starts (or checks) the real servers the suite needs, once per `npm test` run,
 * and hands their addresses to the test workers through the environment. A
 * missing server fails the whole run with a message naming what to install:
 * nothing is skipped silently.
 */
import { startKafkaCluster } from './kafka';
import { checkMariaDb } from './mariadb';

export default async function globalSetup(): Promise<void> {
  process.env.SDP_TEST_MARIADB_URL ??= 'mysql://root@127.0.0.1:3306/test';
  await checkMariaDb(process.env.SDP_TEST_MARIADB_URL);
  const kafka = await startKafkaCluster();
  process.env.SDP_TEST_KAFKA_BROKERS = kafka.brokers.join(',');
  process.env.SDP_TEST_KAFKA_PID = String(kafka.pid);
}
