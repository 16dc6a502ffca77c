/**
 * Retention as Cassandra TTLs (SDP_PAGEVIEWS_HOURLY_RETENTION_DAYS,
 * SDP_PAGEVIEWS_DAILY_RETENTION_DAYS), decided here once for both stores.
 *
 * Retention counts from the **end of the day** a row belongs to, not from when
 * it was written: every hour of a day then expires at the same instant, so a
 * day is either whole or gone. That matters because daily rows are recomputed
 * from the day's hours: were the early hours of a day to expire before a late
 * hour arrived, the recomputed day would silently shrink. An hour whose day is
 * already past retention is not written at all (reported as expired), and a
 * backfill of old dumps cannot resurrect data that retention has dropped.
 */
import { DAY_MS, keyToMs } from './timestamps';

/** Cassandra refuses TTLs above 20 years. */
export const MAX_TTL_SECONDS = 20 * 365 * 24 * 3600;

/** Longest configurable retention, in days: the TTL of a row of today must stay under MAX_TTL_SECONDS. */
export const MAX_RETENTION_DAYS = 7000;

export interface Retention {
  /** Days after its day ends that an hourly row is kept; 0 = forever. */
  hourlyDays: number;
  /** Days after its day ends that a daily row (and its top-pages entries) is kept; 0 = forever. */
  dailyDays: number;
}

/**
 * The TTL, in seconds, for a row of `day` (`YYYYMMDD`) kept `retentionDays`
 * after that day ends, written at `nowMs`: 0 means no TTL (kept forever), null
 * means the row is already past retention and must not be written.
 */
export function ttlSeconds(day: string, retentionDays: number, nowMs: number): number | null {
  if (retentionDays === 0) return 0;
  const expiresAt = keyToMs(day) + DAY_MS + retentionDays * DAY_MS;
  const ttl = Math.ceil((expiresAt - nowMs) / 1000);
  if (ttl <= 0) return null;
  // A day in the future (a skewed clock upstream) is kept no longer than the limit allows.
  return Math.min(ttl, MAX_TTL_SECONDS);
}

/** When a row of `day` expires under `retentionDays` (ms since the epoch), Infinity when never. */
export function expiresAtMs(day: string, retentionDays: number): number {
  return retentionDays === 0 ? Infinity : keyToMs(day) + DAY_MS + retentionDays * DAY_MS;
}
