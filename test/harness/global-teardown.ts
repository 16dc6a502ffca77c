import { stopKafkaCluster } from './kafka';

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.SDP_TEST_KAFKA_PID);
  if (pid) await stopKafkaCluster(pid);
}
