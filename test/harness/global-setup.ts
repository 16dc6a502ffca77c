/**
 * Starts (or checks) the real servers the suite needs, once per `npm test` run,
 * and hands their addresses to the test workers through the environment. A
 * missing server fails the whole run with a message naming what to install:
 * nothing is skipped silently.
 */
import { checkCassandra, startCassandra } from './cassandra';
import { startKafkaCluster } from './kafka';
import { checkMariaDb } from './mariadb';
import { checkRedis } from './redis';
import { disableVendorTelemetry } from '../../platform/vendor-telemetry';

export default async function globalSetup(): Promise<void> {
  // Test workers inherit this environment: no gateway a test builds (stock ones included) phones home.
  disableVendorTelemetry();
  process.env.SDP_TEST_MARIADB_URL ??= 'mysql://root@127.0.0.1:3306/test';
  process.env.SDP_TEST_REDIS_URL ??= 'redis://127.0.0.1:6379';
  // Cassandra's JVM takes the longest to come up: start it first, check the rest meanwhile.
  const cassandra = process.env.SDP_TEST_CASSANDRA_CONTACT_POINTS
    ? checkCassandra(process.env.SDP_TEST_CASSANDRA_CONTACT_POINTS).then(() => undefined)
    : startCassandra();
  const [started] = await Promise.all([
    cassandra,
    checkMariaDb(process.env.SDP_TEST_MARIADB_URL),
    checkRedis(process.env.SDP_TEST_REDIS_URL),
    startKafkaCluster().then((kafka) => {
      process.env.SDP_TEST_KAFKA_BROKERS = kafka.brokers.join(',');
      process.env.SDP_TEST_KAFKA_PID = String(kafka.pid);
    }),
  ]);
  if (started) {
    process.env.SDP_TEST_CASSANDRA_CONTACT_POINTS = started.contactPoint;
    process.env.SDP_TEST_CASSANDRA_PID = String(started.pid);
    process.env.SDP_TEST_CASSANDRA_DIR = started.dir;
  }
}
