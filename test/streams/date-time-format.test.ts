import { fullFormats } from 'ajv-formats/dist/formats';
import { isDateTime } from '../../streams/date-time-format';

const stock = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;

test('answers exactly as ajv-formats full date-time, on edge cases', () => {
  const cases = [
    '2026-01-15T12:30:00Z',
    '2026-01-15t12:30:00z',
    '2026-01-15 12:30:00Z',
    '2026-01-15\t12:30:00Z',
    '2026-01-15T12:30:00.123456Z',
    '2026-01-15T12:30:00+02:00',
    '2026-01-15T12:30:00-0230',
    '2026-01-15T12:30:00+02',
    '2026-01-15T12:30:00',
    '2026-01-15T12:30:00.Z',
    '2026-01-15TT12:30:00Z',
    '2026-01-15T 12:30:00Z',
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-13-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-12-31T23:59:60Z',
    '2026-12-31T23:59:60.5Z',
    '2026-12-31T22:59:60-01:00',
    '2027-01-01T00:59:60+01:00',
    '2026-12-31T23:58:60Z',
    '2026-12-31T24:00:00Z',
    '2026-12-31T23:60:00Z',
    '2026-12-31T23:59:61Z',
    '2026-12-31T23:59:59+24:00',
    '2026-12-31T23:59:59+23:60',
    '2026-12-31T23:59:59+23:59',
    '2026-1-31T23:59:59Z',
    ' 2026-01-15T12:30:00Z',
    '2026-01-15T12:30:00Z ',
    '2026-01-15T12:30:00Z\n',
    '2026-01-15\u00a012:30:00Z',
    '２０２６-01-15T12:30:00Z',
    '',
    'T',
  ];
  for (const value of cases) expect([value, isDateTime(value)]).toEqual([value, stock(value)]);
});

test('answers exactly as ajv-formats full date-time, on generated strings', () => {
  // A fixed pseudo-random generator: the same strings on every run.
  let seed = 5;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const two = () => String(Math.floor(random() * 100)).padStart(2, '0');
  const parts = {
    year: ['2026', '2024', '2100', '2000', '1999', '99'],
    separator: ['T', 't', ' ', '\t', 'x', '', 'TT'],
    fraction: ['', '.5', '.123456', '.'],
    zone: ['Z', 'z', '+00:00', '-05:30', '+0530', '+05', '+24:00', '-23:59', '', 'UTC'],
  };
  let agreed = 0;
  for (let i = 0; i < 20_000; i++) {
    // Mostly in range, sometimes anything: the boundaries are where the checks differ.
    const month = pick(['01', '02', '04', '12', '13', '00', two()]);
    const day = pick(['01', '28', '29', '30', '31', '32', two()]);
    const hour = pick(['00', '22', '23', '24', two()]);
    const minute = pick(['00', '58', '59', '60', two()]);
    const second = pick(['00', '59', '60', '61', two()]);
    const value =
      `${pick(parts.year)}-${month}-${day}${pick(parts.separator)}` +
      `${hour}:${minute}:${second}${pick(parts.fraction)}${pick(parts.zone)}`;
    expect([value, isDateTime(value)]).toEqual([value, stock(value)]);
    if (stock(value)) agreed++;
  }
  // The generator must produce valid date-times too, not only rejects.
  expect(agreed).toBeGreaterThan(200);
});
