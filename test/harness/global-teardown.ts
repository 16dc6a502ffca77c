import { stopCassandra } from './cassandra';
import { stopKafkaCluster } from './kafka';

export default async function globalTeardown(): Promise<void> {
  const kafka = Number(process.env.SDP_TEST_KAFKA_PID);
  const cassandra = Number(process.env.SDP_TEST_CASSANDRA_PID);
  await Promise.all([
    kafka ? stopKafkaCluster(kafka) : undefined,
    // Only a server this run started; one given through SDP_TEST_CASSANDRA_CONTACT_POINTS is left running.
    cassandra ? stopCassandra(cassandra, process.env.SDP_TEST_CASSANDRA_DIR) : undefined,
  ]);
}
