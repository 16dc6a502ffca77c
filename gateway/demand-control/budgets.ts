/**
 * Cost budgets per principal: token buckets holding cost units, refilled at
 * `costPerSecond` up to `burst`. An operation takes its estimated cost from its
 * principal's bucket before it runs; an operation costing more than what is
 * left is refused, and nothing is taken.
 *
 * Two stores with the same arithmetic: in memory (one gateway) and Redis (any
 * number of gateways sharing the budgets, `SDP_REDIS_URL`), where one Lua
 * script reads, refills and takes atomically on the Redis server's clock, so
 * gateways with skewed clocks still agree.
 */
import { Redis } from 'ioredis';

export interface BucketPolicy {
  /** Refill rate, cost units per second (> 0). */
  costPerSecond: number;
  /** Capacity, cost units. */
  burst: number;
}

export interface BudgetDecision {
  allowed: boolean;
  /** Units left after this operation (or, when refused, left now). */
  remaining: number;
  /** Refused: seconds until the bucket holds the cost again (at least 1). */
  retryAfterS: number;
  /** Seconds until the bucket is full again. */
  resetS: number;
}

export interface BudgetStore {
  take(key: string, cost: number, policy: BucketPolicy): Promise<BudgetDecision>;
  close(): Promise<void>;
}

/** The decision for a bucket holding `tokens` after refill. Shared by both stores (the Lua script mirrors it). */
export function decide(
  tokens: number,
  cost: number,
  policy: BucketPolicy,
): BudgetDecision & { left: number } {
  const allowed = cost <= tokens;
  const left = allowed ? tokens - cost : tokens;
  return {
    allowed,
    left,
    remaining: Math.floor(left),
    retryAfterS: allowed
      ? 0
      : Math.max(1, Math.ceil((Math.min(cost, policy.burst) - tokens) / policy.costPerSecond)),
    resetS: Math.ceil((policy.burst - left) / policy.costPerSecond),
  };
}

/** Budgets of one gateway process. */
export class MemoryBudgetStore implements BudgetStore {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `maxKeys` bounds memory against callers rotating addresses: the least recently seen buckets go first. */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 100_000,
  ) {}

  async take(key: string, cost: number, policy: BucketPolicy): Promise<BudgetDecision> {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket
      ? Math.min(policy.burst, bucket.tokens + ((now - bucket.at) / 1000) * policy.costPerSecond)
      : policy.burst;
    const { left, ...decision } = decide(tokens, cost, policy);
    // Re-inserted so iteration order is least recently seen first.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: left, at: now });
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return decision;
  }

  async close(): Promise<void> {}
}

/**
 * KEYS[1] bucket; ARGV cost, costPerSecond, burst. Returns {allowed, tokens left
 * ×1000 (integers survive the Lua→Redis reply conversion)}. TIME is the Redis
 * server's clock; the key expires once it would be full again anyway.
 */
const TAKE_SCRIPT = `
local cost = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if state[1] then
  tokens = math.min(burst, tonumber(state[1]) + (now - tonumber(state[2])) / 1000 * rate)
end
local allowed = 0
if cost <= tokens then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, math.floor(tokens * 1000)}
`;

/** Budgets shared through Redis by every gateway given the same URL. */
export class RedisBudgetStore implements BudgetStore {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix = 'sdp:budget:',
  ) {
    this.redis = new Redis(url, {
      // A gateway must answer even while Redis is away: commands fail fast
      // instead of queueing (the plugin then fails closed for that request).
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    this.redis.defineCommand('sdpTakeBudget', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    // Connection errors are reported per command; without a listener ioredis logs each to stderr.
    this.redis.on('error', () => {});
  }

  async take(key: string, cost: number, policy: BucketPolicy): Promise<BudgetDecision> {
    const take = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<[number, number]>>)
      .sdpTakeBudget as (...args: unknown[]) => Promise<[number, number]>;
    const [allowed, milli] = await take.call(
      this.redis,
      this.prefix + key,
      cost,
      policy.costPerSecond,
      policy.burst,
    );
    const left = milli / 1000;
    // Re-derive the headers' numbers from what is left, as the memory store does.
    const tokensBefore = allowed === 1 ? left + cost : left;
    const { remaining, retryAfterS, resetS } = decide(tokensBefore, cost, policy);
    return { allowed: allowed === 1, remaining, retryAfterS, resetS };
  }

  /** Resolves once connected (tests and start-up use it to fail early on a wrong URL). */
  async ready(timeoutMs = 5_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
