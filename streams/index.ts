/**
 * Picks the event log the configuration asks for: Kafka when brokers are
 * configured, else the in-process log, so `npm start` needs no servers.
 */
import type { Logger } from 'pino';
import type { SdpConfig } from '../config/env';
import { EmbeddedEventLog } from './embedded/log';
import { KafkaEventLog } from './kafka/log';
import type { EventLog } from './port';

export function createEventLog(
  config: Pick<
    SdpConfig,
    'kafkaBrokers' | 'kafkaClientId' | 'kafkaSessionTimeoutMs' | 'kafkaPartitionsConcurrently'
  > &
    Partial<Pick<SdpConfig, 'connectRetrySeconds'>>,
  logger: Logger,
): EventLog {
  if (config.kafkaBrokers && config.kafkaBrokers.length > 0) {
    return new KafkaEventLog({
      brokers: config.kafkaBrokers,
      clientId: config.kafkaClientId,
      sessionTimeoutMs: config.kafkaSessionTimeoutMs,
      // Heartbeats must come well inside the session; a tenth is kafkajs's own default ratio.
      heartbeatIntervalMs: Math.max(1000, Math.floor(config.kafkaSessionTimeoutMs / 10)),
      partitionsConcurrently: config.kafkaPartitionsConcurrently,
      connectRetryMs:
        config.connectRetrySeconds === undefined ? undefined : config.connectRetrySeconds * 1000,
      logger,
    });
  }
  return new EmbeddedEventLog({ logger });
}
