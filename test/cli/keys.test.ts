/**
 * `sdp keys` and `sdp audit tail` on the file stores under a data directory, as
 * on the embedded platform: a key is printed once and stored hashed, every
 * change is an audit event, and `audit tail` reads them back with its filters.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { auditCommand } from '../../cli/audit';
import { keysCommand } from '../../cli/keys';
import { hashKey } from '../../gateway/authentication/key-store';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(
  command: typeof keysCommand | typeof auditCommand,
  argv: string[],
  env: NodeJS.ProcessEnv,
) {
  const stdout = capture();
  const stderr = capture();
  const code = await command(argv, env, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'sdp-keys-'));
const env = { SDP_DATA_DIR: dataDir, SDP_LOG_LEVEL: 'silent' };

test('create prints the key once and stores only its hash; list, scopes, revoke; each change audited', async () => {
  const created = await run(
    keysCommand,
    ['create', '--name', 'analyst', '--scopes', 'pii:read', '--expires', '30d'],
    env,
  );
  expect(created.code).toBe(0);
  const key = created.stdout.trim();
  expect(key).toMatch(/^sdp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  const id = key.split('_')[1]!;
  const stored = readFileSync(path.join(dataDir, 'api-keys.json'), 'utf8');
  expect(stored).not.toContain(key.split('_')[2]);
  expect(JSON.parse(stored).keys[0]).toMatchObject({
    id,
    name: 'analyst',
    scopes: ['pii:read'],
    hash: hashKey(key),
  });

  expect((await run(keysCommand, ['scopes', id, '--scopes', 'pii:read,oversight:read'], env)).code).toBe(0);
  expect((await run(keysCommand, ['revoke', id], env)).code).toBe(0);
  const listed = await run(keysCommand, ['list'], env);
  expect(listed.stdout).toMatch(new RegExp(`^${id}  analyst  scopes: pii:read,oversight:read  revoked `));

  const tail = await run(auditCommand, ['tail'], env);
  const events = tail.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(events.map((e) => [e.kind, e.key.action, e.key.id, e.outcome])).toEqual([
    ['key', 'created', id, 'changed'],
    ['key', 'scopes-changed', id, 'changed'],
    ['key', 'revoked', id, 'changed'],
  ]);
  expect(events[0].principal.kind).toBe('cli');
  expect((await run(auditCommand, ['tail', '--since', '2999-01-01T00:00:00Z'], env)).stdout).toBe('');
  expect((await run(auditCommand, ['tail', '--principal', 'nobody'], env)).stdout).toBe('');
});

test.each([
  [['create', '--scopes', 'pii:read'], /--name is required/],
  [['create', '--name', 'x'], /--scopes is required/],
  [['create', '--name', 'x', '--scopes', 'bad scope"'], /is not a valid scope/],
  [['create', '--name', 'x', '--scopes', 'a', '--expires', 'soon'], /--expires: "soon" is not a duration/],
  [['revoke'], /takes one key id/],
  [['rotate'], /unknown action "rotate"/],
])('usage errors exit 2 before touching anything: %j', async (argv, message) => {
  const result = await run(keysCommand, argv, env);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(message);
});

test('revoking an unknown key exits 1; audit tail refuses a bad --since', async () => {
  expect(await run(keysCommand, ['revoke', 'ffffffffffff'], env)).toMatchObject({ code: 1 });
  expect(await run(auditCommand, ['tail', '--since', 'yesterday'], env)).toMatchObject({ code: 2 });
});
