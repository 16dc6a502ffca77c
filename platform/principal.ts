/**
 * Who is asking. The gateway authenticates every request into a `Principal`
 * (anonymous, an API key or a JWT bearer token) before anything else runs; the
 * policy, audit and demand-control plugins all read the same object from the
 * request context, and subgraphs receive it as a signed assertion. It lives in
 * platform/ because products read it too (row-level rules), and products may
 * not import the gateway.
 */
export type PrincipalKind = 'anonymous' | 'api-key' | 'jwt';

/** Demand-control tier: anonymous callers get lower limits than authenticated ones. */
export type PrincipalTier = 'anonymous' | 'keyed';

export interface Principal {
  /**
   * Stable identity used for budgets and the audit: `anonymous:<client address>`,
   * `key:<key id>`, `jwt:<issuer>#<subject>`.
   */
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly tier: PrincipalTier;
  /** Human-readable name (the key's name, the token's subject); `anonymous` for anonymous callers. */
  readonly name: string;
  readonly scopes: ReadonlySet<string>;
  /** The client's network address as the gateway saw it. */
  readonly clientAddress: string;
  /** When the credential stops being valid; undefined for anonymous callers and keys without expiry. */
  readonly expiresAt?: Date;
}

export function anonymousPrincipal(clientAddress: string): Principal {
  return {
    id: `anonymous:${clientAddress}`,
    kind: 'anonymous',
    tier: 'anonymous',
    name: 'anonymous',
    scopes: new Set(),
    clientAddress,
  };
}
