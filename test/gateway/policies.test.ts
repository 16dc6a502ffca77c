/** The policy module: the built-in `declared-purpose` policy and loading one from SDP_POLICY_MODULE. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInPolicies, loadPolicyModule, type PolicyRequest } from '../../gateway/policy/policies';
import { anonymousPrincipal, type Principal } from '../../platform/principal';

const keyed: Principal = { ...anonymousPrincipal('10.0.0.1'), id: 'key:1', kind: 'api-key', tier: 'keyed' };
const request = (principal: Principal, purpose?: string): PolicyRequest => ({
  principal,
  policies: new Set(['declared-purpose', 'something-else']),
  header: (name) => (name === 'sdp-purpose' ? purpose : undefined),
  operationName: null,
});

test('declared-purpose: an identified caller naming an allowed purpose', async () => {
  expect([...(await builtInPolicies(request(keyed, 'moderation')))]).toEqual(['declared-purpose']);
  expect([...(await builtInPolicies(request(keyed, 'curiosity')))]).toEqual([]);
  expect([...(await builtInPolicies(request(keyed)))]).toEqual([]);
  // Anonymous callers cannot declare a purpose for personal data.
  expect([...(await builtInPolicies(request(anonymousPrincipal('10.0.0.1'), 'research')))]).toEqual([]);
});

test('SDP_POLICY_MODULE: a module whose default export decides', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdp-policy-'));
  const file = path.join(dir, 'policy.js');
  writeFileSync(
    file,
    'exports.default = ({ principal, policies }) => [...policies].filter((p) => p === "staff" && principal.kind === "jwt");',
  );
  const decide = loadPolicyModule(file);
  const jwt = { ...keyed, kind: 'jwt' as const };
  const ask = (principal: Principal) =>
    decide({ ...request(principal), policies: new Set(['staff', 'other']) });
  expect([...(await ask(jwt))]).toEqual(['staff']);
  expect([...(await ask(keyed))]).toEqual([]);
});

test('SDP_POLICY_MODULE: a missing module or one without a function stops start-up naming the variable', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdp-policy-'));
  expect(() => loadPolicyModule(path.join(dir, 'missing.js'))).toThrow(/^SDP_POLICY_MODULE: cannot load/);
  const file = path.join(dir, 'not-a-function.js');
  writeFileSync(file, 'exports.default = 42;');
  expect(() => loadPolicyModule(file)).toThrow(/SDP_POLICY_MODULE: .* exports no function/);
});
