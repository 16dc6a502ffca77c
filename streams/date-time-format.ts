/**
 * ajv-formats' full `date-time` check (RFC 3339 section 5.6: a real calendar
 * date, a time zone, a leap second only at 23:59:60 UTC), answering exactly as
 * ajv-formats does, in one regular expression where it splits the string and
 * runs two more. Every page_change event carries seven date-times, and the
 * stock check took about half of the event's schema validation, on the ingest's
 * hot path. test/streams/date-time-format.test.ts compares the two.
 */

// ajv-formats: the string splits on /t|\s/i into exactly two parts, a date
// matching DATE and a time matching TIME; neither can hold a separator, so one
// separator between the two is the same condition.
const DATE_TIME =
  /^(\d\d\d\d)-(\d\d)-(\d\d)[t\s](\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)$/i;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

export function isDateTime(value: string): boolean {
  const match = DATE_TIME.exec(value);
  if (!match) return false;
  const year = +match[1]!;
  const month = +match[2]!;
  const day = +match[3]!;
  if (!(
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= (month === 2 && isLeapYear(year) ? 29 : DAYS[month]!)
  ))
    return false;
  const hour = +match[4]!;
  const minute = +match[5]!;
  const second = +match[6]!;
  const zoneSign = match[8] === '-' ? -1 : 1;
  const zoneHours = +(match[9] || 0);
  const zoneMinutes = +(match[10] || 0);
  if (zoneHours > 23 || zoneMinutes > 59) return false;
  if (hour <= 23 && minute <= 59 && second < 60) return true;
  // A leap second: 23:59:60 in UTC, whatever the offset.
  const utcMinute = minute - zoneMinutes * zoneSign;
  const utcHour = hour - zoneHours * zoneSign - (utcMinute < 0 ? 1 : 0);
  return (utcHour === 23 || utcHour === -1) && (utcMinute === 59 || utcMinute === -1) && second < 61;
}
