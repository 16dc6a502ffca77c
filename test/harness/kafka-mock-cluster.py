"""
Runs librdkafka's in-memory mock Kafka cluster for the test suite.

The mock cluster lives inside a librdkafka client instance: creating a client
with `test.mock.num.brokers` starts brokers that speak the real Kafka wire
protocol on loopback TCP ports, so kafkajs talks to it exactly as to a real
cluster. It lives as long as this process holds the client, so the process
stays up until the parent closes stdin (it died or is done) or sends SIGTERM.

Prints one line, the bootstrap brokers (`host:port,host:port,...`), once ready.
Run with Debian's /usr/bin/python3 (python3-confluent-kafka).
"""
import signal
import sys

from confluent_kafka import Producer

NUM_BROKERS = int(sys.argv[1]) if len(sys.argv) > 1 else 3


def main() -> None:
    producer = Producer({'test.mock.num.brokers': NUM_BROKERS, 'bootstrap.servers': 'unused:1'})
    # The mock brokers replace the configured bootstrap list; metadata names them.
    metadata = producer.list_topics(timeout=10)
    brokers = ','.join(f'{b.host}:{b.port}' for b in sorted(metadata.brokers.values(), key=lambda b: b.id))
    print(brokers, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Blocks until EOF: a parent that dies without cleaning up still ends this process.
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    producer.flush(1)


if __name__ == '__main__':
    main()
