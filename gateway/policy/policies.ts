/**
 * `@policy` names are decided here: a policy module is a function of the
 * principal, the policy names an operation needs and the request, returning the
 * names it grants. `SDP_POLICY_MODULE` names a module (a path, resolved from the
 * working directory) whose `default` or `decide` export replaces the built-in
 * one; a module that throws grants nothing (fail closed).
 *
 * Built-in policy, used by the products' schema (`Block.reason`):
 * - `declared-purpose`: purpose limitation (GDPR art. 5(1)(b)). An identified
 *   caller (API key or token, never anonymous) names why it reads personal data
 *   in the `SDP-Purpose` header, one of DECLARED_PURPOSES; the audit event
 *   records the purpose with the read.
 */
import path from 'node:path';
import type { Principal } from '../../platform/principal';

export const PURPOSE_HEADER = 'sdp-purpose';
export const DECLARED_PURPOSES = ['abuse-investigation', 'moderation', 'research'] as const;

export interface PolicyRequest {
  principal: Principal;
  /** The policy names the operation's protected fields mention. */
  policies: ReadonlySet<string>;
  /** A request header, lower-case name. */
  header(name: string): string | undefined;
  operationName: string | null;
}

export type PolicyDecider = (request: PolicyRequest) => Iterable<string> | Promise<Iterable<string>>;

export const builtInPolicies: PolicyDecider = ({ principal, policies, header }) => {
  const granted: string[] = [];
  if (policies.has('declared-purpose') && principal.kind !== 'anonymous') {
    const purpose = header(PURPOSE_HEADER)?.trim();
    if ((DECLARED_PURPOSES as readonly string[]).includes(purpose ?? '')) granted.push('declared-purpose');
  }
  return granted;
};

/** The decider SDP_POLICY_MODULE names, or the built-in one. */
export function loadPolicyModule(modulePath: string | undefined): PolicyDecider {
  if (modulePath === undefined) return builtInPolicies;
  const resolved = path.resolve(modulePath);
  let loaded: { default?: unknown; decide?: unknown };
  try {
    loaded = require(resolved) as { default?: unknown; decide?: unknown };
  } catch (error) {
    throw new Error(`SDP_POLICY_MODULE: cannot load ${resolved}: ${(error as Error).message}`);
  }
  const decide = typeof loaded === 'function' ? loaded : (loaded.default ?? loaded.decide);
  if (typeof decide !== 'function') {
    throw new Error(`SDP_POLICY_MODULE: ${resolved} exports no function (as default or decide)`);
  }
  return decide as PolicyDecider;
}
