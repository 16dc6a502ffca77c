/**
 * Day arguments of the `editstats` API, AQS style: `YYYYMMDDHH` or `YYYYMMDD`,
 * UTC. The statistics are daily, so an hour only selects its day. Bad input is
 * a `BAD_USER_INPUT` GraphQL error naming the argument.
 */
import { badInput } from '../../platform/graphql';

/** Longest `start`–`end` range, in days: bounds a response to ten years of daily points. */
export const MAX_RANGE_DAYS = 3660;

const DAY_ARG = /^(\d{4})(\d{2})(\d{2})(\d{2})?$/;

/** `YYYYMMDD` of a `YYYYMMDDHH` or `YYYYMMDD` argument that names a real UTC date and hour. */
export function parseDay(value: string, argumentName: string): string {
  const match = DAY_ARG.exec(value);
  const fail = () =>
    badInput(
      `${argumentName} must be a UTC date as YYYYMMDD or YYYYMMDDHH (e.g. 2026010100), got ${JSON.stringify(value)}`,
      argumentName,
    );
  if (!match) throw fail();
  const [, y, m, d, h] = match.map(Number) as [number, number, number, number, number | undefined];
  const date = new Date(Date.UTC(y, m - 1, d));
  const realDate = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  if (!realDate || (h !== undefined && h > 23)) throw fail();
  return value.slice(0, 8);
}

/** Days from `a` to `b` (`YYYYMMDD`), negative when `b` is earlier. */
export function daysBetween(a: string, b: string): number {
  const ms = (day: string) => Date.UTC(+day.slice(0, 4), +day.slice(4, 6) - 1, +day.slice(6, 8));
  return Math.round((ms(b) - ms(a)) / 86_400_000);
}

/** An inclusive day range from `start`/`end` arguments: in order and at most MAX_RANGE_DAYS long. */
export function parseDayRange(start: string, end: string): { startDay: string; endDay: string } {
  const startDay = parseDay(start, 'start');
  const endDay = parseDay(end, 'end');
  const span = daysBetween(startDay, endDay);
  if (span < 0) throw badInput(`end (${end}) is before start (${start})`, 'end');
  if (span + 1 > MAX_RANGE_DAYS) {
    throw badInput(
      `the range ${start}–${end} spans ${span + 1} days; at most ${MAX_RANGE_DAYS} are allowed`,
      'end',
    );
  }
  return { startDay, endDay };
}

/** AQS's daily timestamp for a day: `YYYYMMDD00`. */
export function aqsTimestamp(day: string): string {
  return `${day}00`;
}
