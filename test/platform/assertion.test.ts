import { ASSERTION_LIFETIME_MS, signAssertion, verifyAssertion } from '../../platform/assertion';
import type { Principal } from '../../platform/principal';

const SECRET = 'assertion-test-secret-of-32-bytes-at-least';
const principal: Principal = {
  id: 'key:0123456789ab',
  kind: 'api-key',
  tier: 'keyed',
  name: 'analyst',
  scopes: new Set(['pii:read']),
  clientAddress: '10.0.0.7',
};
const NOW = Date.parse('2026-06-01T12:00:00Z');

test('a signed assertion verifies to the same principal and request id', () => {
  const check = verifyAssertion(SECRET, signAssertion(SECRET, principal, 'req-1', NOW), NOW + 1_000);
  expect(check).toEqual({ ok: true, assertion: { requestId: 'req-1', principal } });
});

test.each([
  ['missing', undefined, 'no assertion'],
  ['empty', '', 'no assertion'],
  ['not three parts', 'v1.abc', 'malformed assertion'],
  ['another version', signAssertion(SECRET, principal, 'r', NOW).replace(/^v1/, 'v2'), 'malformed assertion'],
  ['oversized', 'v1.' + 'a'.repeat(9_000) + '.b', 'assertion too long'],
  ['signed with another secret', signAssertion('x'.repeat(40), principal, 'r', NOW), 'bad signature'],
])('%s: refused', (_name, header, reason) => {
  expect(verifyAssertion(SECRET, header, NOW)).toEqual({ ok: false, reason });
});

test('a payload changed after signing (scopes added) is refused', () => {
  const [v, payload, mac] = signAssertion(SECRET, { ...principal, scopes: new Set() }, 'r', NOW).split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { scopes: string[] };
  claims.scopes = ['pii:read'];
  const tampered = `${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
  expect(verifyAssertion(SECRET, tampered, NOW)).toEqual({ ok: false, reason: 'bad signature' });
});

test('expired, and issued in the future, beyond 5 s of clock skew', () => {
  const signed = signAssertion(SECRET, principal, 'r', NOW);
  expect(verifyAssertion(SECRET, signed, NOW + ASSERTION_LIFETIME_MS + 4_000).ok).toBe(true);
  expect(verifyAssertion(SECRET, signed, NOW + ASSERTION_LIFETIME_MS + 6_000)).toEqual({
    ok: false,
    reason: 'assertion expired',
  });
  expect(verifyAssertion(SECRET, signed, NOW - 6_000)).toEqual({
    ok: false,
    reason: 'assertion issued in the future',
  });
});
