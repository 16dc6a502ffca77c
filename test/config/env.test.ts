import { ConfigError, deadLetterTopic, loadConfig, topicFor } from '../../config/env';

test('defaults describe the embedded platform on port 4000 with the demo on', () => {
  const c = loadConfig({});
  expect(c).toMatchObject({
    port: 4000,
    host: '127.0.0.1',
    subgraphPortBase: 4001,
    mariadbUrl: undefined,
    kafkaBrokers: undefined,
    topicPrefix: '',
    demo: true,
    logLevel: 'info',
    logFormat: 'auto',
    connectRetrySeconds: 5,
  });
});

test('Kafka turns the demo off by default; SDP_DEMO overrides either way', () => {
  expect(loadConfig({ SDP_KAFKA_BROKERS: 'a:9092, b:9093' })).toMatchObject({
    kafkaBrokers: ['a:9092', 'b:9093'],
    demo: false,
  });
  expect(loadConfig({ SDP_KAFKA_BROKERS: 'a:9092', SDP_DEMO: '1' }).demo).toBe(true);
  expect(loadConfig({ SDP_DEMO: '0' }).demo).toBe(false);
});

test.each([
  [{ SDP_PORT: 'eighty' }, /SDP_PORT="eighty" is not an integer/],
  [{ SDP_PORT: '70000' }, /SDP_PORT/],
  [{ SDP_KAFKA_BROKERS: 'localhost' }, /SDP_KAFKA_BROKERS entry "localhost" is not host:port/],
  [{ SDP_MARIADB_URL: 'postgres://x/y' }, /must start with mysql:\/\//],
  [{ SDP_MARIADB_URL: 'mysql://root@127.0.0.1:3306' }, /must name a database/],
  [{ SDP_MARIADB_URL: 'not a url' }, /is not a URL/],
  [{ SDP_DEMO: 'maybe' }, /SDP_DEMO="maybe" must be 0 or 1/],
  [{ SDP_LOG_LEVEL: 'loud' }, /SDP_LOG_LEVEL/],
  [{ SDP_LOG_FORMAT: 'yaml' }, /SDP_LOG_FORMAT="yaml" is not one of auto\|pretty\|json/],
  [
    { SDP_CONNECT_RETRY_SECONDS: '-1' },
    /SDP_CONNECT_RETRY_SECONDS="-1" is not an integer between 0 and 3600/,
  ],
])('bad config %j fails with a message naming the variable', (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

test('topics are prefixed stream names; dead letters go to <topic>.dlq', () => {
  const c = loadConfig({ SDP_TOPIC_PREFIX: 'eqiad.' });
  expect(topicFor(c, 'mediawiki.page_change.v1')).toBe('eqiad.mediawiki.page_change.v1');
  expect(deadLetterTopic('eqiad.mediawiki.page_change.v1')).toBe('eqiad.mediawiki.page_change.v1.dlq');
});
