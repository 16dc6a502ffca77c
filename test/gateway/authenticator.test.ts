/**
 * Authentication against a local JWKS file (SDP_JWT_JWKS_URL as a path) and API
 * keys from a data directory, without a gateway around it. The refusals over
 * HTTP are in test/e2e/access-policy.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import { Authenticator } from '../../gateway/authentication/authenticator';
import { generateKey, hashKey, openKeyStore } from '../../gateway/authentication/key-store';

const request = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as http.IncomingMessage;

test('a JWT verified against a JWKS file; API keys from the data directory; the principal each makes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdp-authn-'));
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const jwksFile = path.join(dir, 'jwks.json');
  writeFileSync(
    jwksFile,
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] }),
  );
  const store = await openKeyStore({ dataDir: dir });
  const { id, key } = generateKey();
  await store.insert({
    id,
    name: 'ops',
    scopes: ['pii:read'],
    hash: hashKey(key),
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2999-01-01T00:00:00.000Z',
    revokedAt: null,
  });
  const authenticator = await Authenticator.create({
    access: { requireAuth: false, jwt: { jwks: jwksFile, issuer: 'https://idp', audience: 'sdp' } },
    keyStore: store,
    logger: pino({ level: 'silent' }),
  });
  try {
    const token = await new SignJWT({ scope: 'pii:read oversight:read' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setIssuer('https://idp')
      .setAudience('sdp')
      .setSubject('alice')
      .setExpirationTime('2m')
      .sign(privateKey);
    const viaJwt = await authenticator.authenticate(request(`Bearer ${token}`), '10.1.2.3');
    expect(viaJwt).toMatchObject({
      ok: true,
      principal: {
        id: 'jwt:https://idp#alice',
        kind: 'jwt',
        tier: 'keyed',
        name: 'alice',
        clientAddress: '10.1.2.3',
      },
    });
    expect(viaJwt.ok && [...viaJwt.principal.scopes]).toEqual(['pii:read', 'oversight:read']);

    const viaKey = await authenticator.authenticate(request(`Bearer ${key}`), '10.1.2.3');
    expect(viaKey).toMatchObject({
      ok: true,
      principal: {
        id: `key:${id}`,
        kind: 'api-key',
        name: 'ops',
        expiresAt: new Date('2999-01-01T00:00:00.000Z'),
      },
    });
    // The scheme is case-insensitive (RFC 7235).
    expect((await authenticator.authenticate(request(`bearer ${key}`), 'x')).ok).toBe(true);

    expect(await authenticator.authenticate(request(), '10.1.2.3')).toMatchObject({
      ok: true,
      principal: { id: 'anonymous:10.1.2.3', kind: 'anonymous', tier: 'anonymous' },
    });
  } finally {
    authenticator.close();
    await store.close();
  }
});

test('a JWKS file that cannot be read stops start-up naming the variable', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdp-authn-'));
  await expect(
    Authenticator.create({
      access: {
        requireAuth: false,
        jwt: { jwks: path.join(dir, 'missing.json'), issuer: 'i', audience: 'a' },
      },
      keyStore: await openKeyStore({ dataDir: dir }),
      logger: pino({ level: 'silent' }),
    }),
  ).rejects.toThrow(/^SDP_JWT_JWKS_URL: cannot read a JWKS from/);
});
