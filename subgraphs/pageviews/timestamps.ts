/**
 * AQS's text timestamps: `YYYYMMDDHH` for hours (daily rows use `HH = 00`,
 * monthly points `YYYYMM0100`), `YYYYMMDD` for days. Text in this form sorts
 * like time, which is what makes it a usable clustering key. All UTC.
 */

const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** `YYYYMMDDHH` of an instant's hour. */
export function hourOf(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}`;
}

/** Start of an hour or day key (`YYYYMMDDHH` / `YYYYMMDD`) in ms since the epoch, or NaN when it is no real date. */
export function keyToMs(key: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?$/.exec(key);
  if (!m) return NaN;
  const [, y, mo, d, h = '00'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h));
  // Date.UTC rolls 20240231 over to March: a key must round-trip to be real.
  return hourOf(ms) === `${y}${mo}${d}${h}` ? ms : NaN;
}

/**
 * The hour key of an ISO-8601 instant that is exactly an hour's start (an
 * hourly count is *for* an hour, so `dt` names where it starts), else null.
 */
export function hourOfIso(iso: string): string | null {
  const ms = Date.parse(iso);
  // Date.parse keeps milliseconds only: sub-millisecond digits must be zero too.
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  if (Number.isNaN(ms) || ms % HOUR_MS !== 0 || /[1-9]/.test(fraction)) return null;
  return hourOf(ms);
}

/** ISO-8601 of an hour key's start, e.g. `2024010105` → `2024-01-01T05:00:00Z`. */
export function hourToIso(hour: string): string {
  return new Date(keyToMs(hour)).toISOString().replace('.000Z', 'Z');
}

export function dayOfHour(hour: string): string {
  return hour.slice(0, 8);
}

/** The day after a `YYYYMMDD` day. */
export function nextDay(day: string): string {
  return hourOf(keyToMs(day) + DAY_MS).slice(0, 8);
}

/** A calendar month lying wholly inside a day range. */
export interface FullMonth {
  /** AQS's monthly timestamp, `YYYYMM0100`. */
  timestamp: string;
  firstDay: string;
  lastDay: string;
}

/**
 * The calendar months that lie wholly inside [startDay, endDay] (AQS's monthly
 * granularity keeps only full months: a partial month's sum would read as a
 * month's traffic).
 */
export function fullMonths(startDay: string, endDay: string): FullMonth[] {
  const months: FullMonth[] = [];
  let y = Number(startDay.slice(0, 4));
  let m = Number(startDay.slice(4, 6));
  // A range starting mid-month begins with the next month.
  if (startDay.slice(6, 8) !== '01') m++;
  for (;;) {
    if (m > 12) {
      y++;
      m = 1;
    }
    const first = Date.UTC(y, m - 1, 1);
    const last = Date.UTC(y, m, 1) - DAY_MS;
    const lastDay = hourOf(last).slice(0, 8);
    if (lastDay > endDay) return months;
    const firstDay = hourOf(first).slice(0, 8);
    months.push({ timestamp: `${firstDay.slice(0, 6)}0100`, firstDay, lastDay });
    m++;
  }
}

/** The last day (`YYYYMMDD`) of a month (`YYYYMM`). */
export function lastDayOfMonth(month: string): string {
  const ms = Date.UTC(Number(month.slice(0, 4)), Number(month.slice(4, 6)), 1) - DAY_MS;
  return hourOf(ms).slice(0, 8);
}

/** True for a real month written `YYYYMM`. */
export function isMonth(value: string): boolean {
  return /^\d{6}$/.test(value) && !Number.isNaN(keyToMs(`${value}01`));
}
