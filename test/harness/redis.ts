/**
 * The Redis the suite shares budgets through (the gateway's SDP_REDIS_URL):
 * 127.0.0.1:6379 unless SDP_TEST_REDIS_URL says otherwise. It must be running
 * already (`.ci/run` starts it); a missing one fails the run saying so.
 */
import { Redis } from 'ioredis';

export async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${url} (${(error as Error).message}). Install and start it: ` +
        `apt-get install -y redis-server && redis-server --daemonize yes --port 6379 --bind 127.0.0.1 --save "" --appendonly no ` +
        `(or set SDP_TEST_REDIS_URL).`,
    );
  } finally {
    redis.disconnect();
  }
}
