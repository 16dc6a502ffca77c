/**
 * The Cassandra plumbing against a real Apache Cassandra 2.1 (started by the
 * global setup): keyspace creation, migrations, paging, batches and TTLs, and
 * the errors an operator sees for a bad configuration or an unreachable server.
 */
import { ConfigError, loadConfig } from '../../config/env';
import {
  CassandraError,
  keyspaceFor,
  openCassandraSession,
  type CassandraMigration,
  type CassandraSession,
} from '../../platform/cassandra';
import { dropTestKeyspaces, testCassandraConfig } from '../harness/cassandra';

const config = testCassandraConfig();

const MIGRATIONS: CassandraMigration[] = [
  {
    version: 1,
    name: 'events table',
    up: ['CREATE TABLE IF NOT EXISTS events (p text, c text, v int, PRIMARY KEY (p, c))'],
  },
  {
    version: 2,
    name: 'notes table',
    up: ['CREATE TABLE IF NOT EXISTS notes (id text PRIMARY KEY, body text)'],
  },
];

let session: CassandraSession;

beforeAll(async () => {
  session = await openCassandraSession(config, 'plumbing', MIGRATIONS);
});

afterAll(async () => {
  await session?.close();
  await dropTestKeyspaces(config);
});

describe('openCassandraSession', () => {
  it('creates the product keyspace and records its migrations once', async () => {
    expect(session.keyspace).toBe(`${config.cassandraKeyspacePrefix}plumbing`);
    expect(session.description).toBe(
      `cassandra ${config.cassandraContactPoints!.join(',')}/${session.keyspace}`,
    );
    const applied = await session.execute('SELECT version, name FROM sdp_schema_migrations');
    expect(applied.rows.map((r) => [r.version, r.name]).sort()).toEqual([
      [1, 'events table'],
      [2, 'notes table'],
    ]);

    // A second start applies nothing and keeps the data.
    await session.execute('INSERT INTO notes (id, body) VALUES (?, ?)', ['a', 'kept']);
    const again = await openCassandraSession(config, 'plumbing', MIGRATIONS);
    try {
      const note = await again.execute('SELECT body FROM notes WHERE id = ?', ['a']);
      expect(note.rows[0]?.body).toBe('kept');
      const rows = await again.execute('SELECT version FROM sdp_schema_migrations');
      expect(rows.rowLength).toBe(2);
    } finally {
      await again.close();
    }
  });

  it('refuses a build whose applied migration was renamed', async () => {
    const renamed = [{ ...MIGRATIONS[0]!, name: 'renamed' }, MIGRATIONS[1]!];
    await expect(openCassandraSession(config, 'plumbing', renamed)).rejects.toThrow(
      /migration 1 was applied as "events table" but this build calls it "renamed"/,
    );
  });

  it('names the failing migration statement', async () => {
    const broken: CassandraMigration[] = [
      { version: 1, name: 'bad', up: ['CREATE TABLE IF NOT EXISTS ok (id text PRIMARY KEY)', 'NOT CQL'] },
    ];
    await expect(openCassandraSession(config, 'broken', broken)).rejects.toThrow(
      /broken migration 1 \(bad\) failed at statement 2\/2/,
    );
  });

  it('checks migration versions before touching the server', async () => {
    const unordered = [MIGRATIONS[1]!, MIGRATIONS[0]!];
    await expect(openCassandraSession(config, 'plumbing', unordered)).rejects.toThrow(CassandraError);
  });

  it('says which contact points it could not reach', async () => {
    const nowhere = loadConfig({
      SDP_CASSANDRA_CONTACT_POINTS: '127.0.0.1:1',
      SDP_CONNECT_RETRY_SECONDS: '0',
    });
    await expect(openCassandraSession(nowhere, 'plumbing', MIGRATIONS)).rejects.toThrow(
      /^cannot reach Cassandra at 127\.0\.0\.1:1 \(SDP_CASSANDRA_CONTACT_POINTS\) within 0 s: 127\.0\.0\.1:1: connect ECONNREFUSED/,
    );
  });
});

describe('CassandraSession', () => {
  it('reads a wide partition page by page, in clustering order', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({
      query: 'INSERT INTO events (p, c, v) VALUES (?, ?, ?)',
      params: ['wide', String(i).padStart(4, '0'), i],
    }));
    // One partition: an unlogged batch is applied atomically without the batch log.
    await session.batch(rows, { logged: false });

    const pageSizes: number[] = [];
    const values: number[] = [];
    for await (const page of session.pages('SELECT v FROM events WHERE p = ?', ['wide'], { fetchSize: 60 })) {
      pageSizes.push(page.length);
      values.push(...page.map((r) => r.v as number));
    }
    expect(pageSizes).toEqual([60, 60, 60, 60, 10]);
    expect(values).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it('yields nothing for an empty partition', async () => {
    const pages: unknown[] = [];
    for await (const page of session.pages('SELECT v FROM events WHERE p = ?', ['none'])) pages.push(page);
    expect(pages).toEqual([]);
  });

  it('writes TTLs that expire', async () => {
    await session.execute('INSERT INTO notes (id, body) VALUES (?, ?) USING TTL ?', [
      'short',
      'gone soon',
      1,
    ]);
    const ttl = await session.execute('SELECT TTL(body) AS ttl FROM notes WHERE id = ?', ['short']);
    expect(ttl.rows[0]?.ttl).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 2100));
    const after = await session.execute('SELECT body FROM notes WHERE id = ?', ['short']);
    expect(after.rowLength).toBe(0);
  });
});

describe('configuration', () => {
  it('builds keyspace names from the prefix and refuses invalid ones', () => {
    expect(keyspaceFor({ cassandraKeyspacePrefix: 'sdp_' }, 'pageviews')).toBe('sdp_pageviews');
    expect(() => keyspaceFor({ cassandraKeyspacePrefix: 'sdp_' }, 'x'.repeat(48))).toThrow(/1–48/);
  });

  it('rejects malformed Cassandra settings with the variable name', () => {
    expect(() => loadConfig({ SDP_CASSANDRA_CONTACT_POINTS: 'host:port:x' })).toThrow(
      /SDP_CASSANDRA_CONTACT_POINTS entry "host:port:x"/,
    );
    expect(() => loadConfig({ SDP_CASSANDRA_CONSISTENCY: 'MOST' })).toThrow(/SDP_CASSANDRA_CONSISTENCY/);
    expect(() => loadConfig({ SDP_CASSANDRA_KEYSPACE_PREFIX: 'Bad-' })).toThrow(ConfigError);
    expect(() => loadConfig({ SDP_CASSANDRA_REPLICATION_FACTOR: '0' })).toThrow(
      /SDP_CASSANDRA_REPLICATION_FACTOR/,
    );
    const ok = loadConfig({
      SDP_CASSANDRA_CONTACT_POINTS: 'a, b:9043',
      SDP_CASSANDRA_CONSISTENCY: 'local_one',
    });
    expect(ok.cassandraContactPoints).toEqual(['a', 'b:9043']);
    expect(ok.cassandraConsistency).toBe('LOCAL_ONE');
    expect(ok.cassandraKeyspacePrefix).toBe('sdp_');
  });
});
