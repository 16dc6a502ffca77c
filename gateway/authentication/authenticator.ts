/**
 * Authentication: turns a request's `Authorization` header into a `Principal`,
 * or into a refusal, before Apollo Server's pipeline runs.
 *
 * - No header: the anonymous principal (public tier), unless SDP_REQUIRE_AUTH.
 * - `Bearer sdp_…`: an API key, checked against the key store's hashes. The
 *   gateway keeps the records in memory and re-reads them every
 *   KEY_REFRESH_MS, so a key created or revoked by `sdp keys` counts within
 *   that time (the issue asks for 5 s) without a store round trip per request.
 * - `Bearer <JWT>`: verified with jose against the configured JWKS (remote URL
 *   or local file), with issuer and audience checks and an algorithm
 *   allow-list (so never `alg: none` or an HMAC algorithm keyed with a public
 *   key); scopes from the OAuth2 `scope` claim.
 *
 * Anything wrong with presented credentials is a refusal (HTTP 401 with
 * `WWW-Authenticate`, RFC 6750), never a silent fall-back to anonymous.
 */
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTVerifyGetKey,
  type JSONWebKeySet,
} from 'jose';
import type { Logger } from 'pino';
import type { AccessConfig } from '../../config/env';
import { anonymousPrincipal, type Principal } from '../../platform/principal';
import { hashKey, keyIdOf, KEY_PREFIX, type ApiKeyRecord, type KeyStore } from './key-store';

/** How often the key records are re-read: new and revoked keys count within this (plus one read). */
export const KEY_REFRESH_MS = 2_000;
/** Older than this while the store cannot be read, the records are not trusted: a revocation could be missing. */
const KEY_SNAPSHOT_MAX_AGE_MS = 10_000;
/** An Authorization header longer than this is refused unread (RSA-4096 JWTs with many claims stay under 4 KB). */
export const MAX_AUTHORIZATION_BYTES = 8 * 1024;
/** Asymmetric algorithms only: a JWKS holds public keys. */
const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

export type Authentication =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      status: 401 | 503;
      /** RFC 6750 error code for `WWW-Authenticate`; none when no credentials were given. */
      error?: 'invalid_request' | 'invalid_token';
      message: string;
    };

export interface AuthenticatorOptions {
  access: Pick<AccessConfig, 'requireAuth' | 'jwt'>;
  keyStore: KeyStore;
  logger: Logger;
}

export class Authenticator {
  private keys = new Map<string, ApiKeyRecord>();
  private keysReadAt = 0;
  /** Whether the latest re-read failed: only then is an old snapshot distrusted. */
  private refreshFailing = false;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  private constructor(
    private readonly options: AuthenticatorOptions,
    private readonly jwks: JWTVerifyGetKey | undefined,
  ) {}

  static async create(options: AuthenticatorOptions): Promise<Authenticator> {
    const jwt = options.access.jwt;
    let jwks: JWTVerifyGetKey | undefined;
    if (jwt) {
      if (/^https?:/i.test(jwt.jwks)) {
        // jose caches the set and refetches it when a token names an unknown kid (at most every 30 s).
        jwks = createRemoteJWKSet(new URL(jwt.jwks), { timeoutDuration: 5_000 });
      } else {
        const file = jwt.jwks.replace(/^file:\/\//i, '');
        let set: JSONWebKeySet;
        try {
          set = JSON.parse(await readFile(file, 'utf8')) as JSONWebKeySet;
        } catch (error) {
          throw new Error(`SDP_JWT_JWKS_URL: cannot read a JWKS from ${file}: ${(error as Error).message}`);
        }
        jwks = createLocalJWKSet(set);
      }
    }
    const authenticator = new Authenticator(options, jwks);
    await authenticator.refreshKeys();
    authenticator.timer = setInterval(() => {
      authenticator.refreshKeys().catch((err: unknown) => {
        options.logger.error({ err }, 'cannot re-read API keys; keeping the previous ones for now');
      });
    }, KEY_REFRESH_MS);
    authenticator.timer.unref();
    return authenticator;
  }

  /** Re-reads the key records now. */
  refreshKeys(): Promise<void> {
    this.refreshing ??= this.options.keyStore
      .list()
      .then(
        (records) => {
          this.keys = new Map(records.map((r) => [r.id, r]));
          this.keysReadAt = Date.now();
          this.refreshFailing = false;
        },
        (error: unknown) => {
          this.refreshFailing = true;
          throw error;
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  close(): void {
    clearInterval(this.timer);
  }

  async authenticate(req: http.IncomingMessage, clientAddress: string): Promise<Authentication> {
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      if (this.options.access.requireAuth) {
        return {
          ok: false,
          status: 401,
          message: 'This gateway requires credentials: send Authorization: Bearer <API key or token>.',
        };
      }
      return { ok: true, principal: anonymousPrincipal(clientAddress) };
    }
    if (header.length > MAX_AUTHORIZATION_BYTES) {
      return {
        ok: false,
        status: 401,
        error: 'invalid_request',
        message: `Authorization header longer than ${MAX_AUTHORIZATION_BYTES} bytes.`,
      };
    }
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
    if (!match) {
      return {
        ok: false,
        status: 401,
        error: 'invalid_request',
        message: 'Authorization must be "Bearer <API key or token>".',
      };
    }
    const token = match[1]!;
    if (token.startsWith(KEY_PREFIX)) return this.apiKey(token, clientAddress);
    if (token.split('.').length === 3) return this.jwt(token, clientAddress);
    return {
      ok: false,
      status: 401,
      error: 'invalid_token',
      message: 'The bearer token is neither an sdp API key nor a JWT.',
    };
  }

  private apiKey(key: string, clientAddress: string): Authentication {
    const invalid: Authentication = {
      ok: false,
      status: 401,
      error: 'invalid_token',
      message: 'Unknown, revoked or expired API key.',
    };
    // A busy process may re-read late; a store that cannot be read must not keep revoked keys alive.
    if (this.refreshFailing && Date.now() - this.keysReadAt > KEY_SNAPSHOT_MAX_AGE_MS) {
      return { ok: false, status: 503, message: 'API keys cannot be checked right now; try again shortly.' };
    }
    const id = keyIdOf(key);
    const record = id === undefined ? undefined : this.keys.get(id);
    if (!record) return invalid;
    const given = Buffer.from(hashKey(key), 'hex');
    const stored = Buffer.from(record.hash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return invalid;
    if (record.revokedAt !== null) return invalid;
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= Date.now()) return invalid;
    return {
      ok: true,
      principal: {
        id: `key:${record.id}`,
        kind: 'api-key',
        tier: 'keyed',
        name: record.name,
        scopes: new Set(record.scopes),
        clientAddress,
        ...(record.expiresAt === null ? {} : { expiresAt: new Date(record.expiresAt) }),
      },
    };
  }

  private async jwt(token: string, clientAddress: string): Promise<Authentication> {
    const jwt = this.options.access.jwt;
    if (!jwt || !this.jwks) {
      return {
        ok: false,
        status: 401,
        error: 'invalid_token',
        message: 'This gateway accepts no JWTs (SDP_JWT_JWKS_URL is not set).',
      };
    }
    try {
      const { payload } = await jwtVerify(token, this.jwks, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: JWT_ALGORITHMS,
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp'],
      });
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      return {
        ok: true,
        principal: {
          id: `jwt:${payload.iss}#${payload.sub}`,
          kind: 'jwt',
          tier: 'keyed',
          name: payload.sub!,
          scopes: new Set(scopes),
          clientAddress,
          expiresAt: new Date(payload.exp! * 1000),
        },
      };
    } catch (error) {
      return { ok: false, status: 401, error: 'invalid_token', message: jwtFailure(error) };
    }
  }
}

/** Why a token was refused, in words a client can act on and that reveal nothing about the keys. */
function jwtFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The token has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `The token's "${error.claim}" claim is not accepted.`;
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return 'The token is signed with a key this gateway does not know.';
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return 'The token is signed with an algorithm this gateway does not accept.';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return 'The token cannot be checked right now (key set unavailable).';
  }
  return 'The token is malformed.';
}

/** The `WWW-Authenticate` value for a refusal (RFC 6750 §3). */
export function wwwAuthenticate(failure: Extract<Authentication, { ok: false }>): string {
  const quoted = failure.message.replace(/["\\]/g, '');
  return failure.error
    ? `Bearer realm="sdp", error="${failure.error}", error_description="${quoted}"`
    : 'Bearer realm="sdp"';
}
