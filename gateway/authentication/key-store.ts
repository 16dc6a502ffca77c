/**
 * API keys: how they are made, and where their hashes live.
 *
 * A key is `sdp_<id>_<secret>`: a 12-hex-digit id to find its record and 32
 * random bytes of secret. It is shown once, at creation; only the SHA-256 of the
 * whole key is stored. A plain hash, not a password hash (scrypt, argon2): the
 * secret is 256 random bits, not something a person chose, so there is nothing
 * to brute-force and a slow hash would only slow every request.
 *
 * Records are kept in MariaDB (table `sdp_api_keys`) when SDP_MARIADB_URL is set,
 * else in `<SDP_DATA_DIR>/api-keys.json` (mode 0600), so keys survive restarts
 * of the embedded platform. `sdp keys` writes, the gateway reads
 * (gateway/authentication/authenticator.ts polls for changes).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { migrate, openMariaDbPool, type Migration } from '../../platform/mariadb';

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: string[];
  /** Hex SHA-256 of the whole key. */
  hash: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface KeyStore {
  readonly description: string;
  list(): Promise<ApiKeyRecord[]>;
  insert(record: ApiKeyRecord): Promise<void>;
  /** Applies `changes` to the key; undefined when there is no such key. */
  update(
    id: string,
    changes: Partial<Pick<ApiKeyRecord, 'revokedAt' | 'scopes'>>,
  ): Promise<ApiKeyRecord | undefined>;
  close(): Promise<void>;
}

export const KEY_PREFIX = 'sdp_';
const KEY_PATTERN = /^sdp_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The id part of a well-formed key; undefined for anything else. */
export function keyIdOf(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

export function generateKey(): { id: string; key: string } {
  const id = randomBytes(6).toString('hex');
  return { id, key: `${KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}` };
}

/** `90d`, `12h`, `30m` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([dhm])$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration like 90d, 12h or 30m`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new Error(`"${text}" must be longer than zero`);
  return ms;
}

/** A scope is what OAuth2 allows in `scope` (RFC 6749 §3.3), without spaces or quotes. */
export function checkScope(scope: string): string {
  if (!/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/.test(scope)) throw new Error(`"${scope}" is not a valid scope`);
  return scope;
}

class FileKeyStore implements KeyStore {
  readonly description: string;
  private readonly file: string;
  constructor(dataDir: string) {
    this.file = path.resolve(dataDir, 'api-keys.json');
    this.description = `file ${this.file}`;
  }
  async list(): Promise<ApiKeyRecord[]> {
    let raw: string;
    try {
      raw = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed = JSON.parse(raw) as { version: number; keys: ApiKeyRecord[] };
    if (parsed.version !== 1 || !Array.isArray(parsed.keys)) {
      throw new Error(`${this.file} is not an sdp key file (version 1)`);
    }
    return parsed.keys;
  }
  private async save(keys: ApiKeyRecord[]): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // Written whole and renamed over the old file: a reader never sees half a file.
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ version: 1, keys }, null, 2) + '\n', { mode: 0o600 });
    await rename(temporary, this.file);
  }
  async insert(record: ApiKeyRecord): Promise<void> {
    await this.save([...(await this.list()), record]);
  }
  async update(id: string, changes: Partial<Pick<ApiKeyRecord, 'revokedAt' | 'scopes'>>) {
    const keys = await this.list();
    const index = keys.findIndex((k) => k.id === id);
    if (index === -1) return undefined;
    const updated = { ...keys[index]!, ...changes };
    keys[index] = updated;
    await this.save(keys);
    return updated;
  }
  async close(): Promise<void> {}
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'api keys',
    up: [
      `CREATE TABLE IF NOT EXISTS sdp_api_keys (
        id CHAR(12) NOT NULL PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        scopes TEXT NOT NULL,
        hash CHAR(64) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        expires_at DATETIME(3) NULL,
        revoked_at DATETIME(3) NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
];

interface KeyRow extends RowDataPacket {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const iso = (date: Date | null) => (date === null ? null : date.toISOString());
const sqlDate = (text: string | null) => (text === null ? null : new Date(text));

class MariaDbKeyStore implements KeyStore {
  readonly description = 'mariadb table sdp_api_keys';
  constructor(private readonly pool: Pool) {}
  async list(): Promise<ApiKeyRecord[]> {
    const [rows] = await this.pool.query<KeyRow[]>('SELECT * FROM sdp_api_keys ORDER BY created_at, id');
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      scopes: r.scopes === '' ? [] : r.scopes.split(' '),
      hash: r.hash,
      createdAt: iso(r.created_at)!,
      expiresAt: iso(r.expires_at),
      revokedAt: iso(r.revoked_at),
    }));
  }
  async insert(r: ApiKeyRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO sdp_api_keys (id, name, scopes, hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [
        r.id,
        r.name,
        r.scopes.join(' '),
        r.hash,
        sqlDate(r.createdAt),
        sqlDate(r.expiresAt),
        sqlDate(r.revokedAt),
      ],
    );
  }
  async update(id: string, changes: Partial<Pick<ApiKeyRecord, 'revokedAt' | 'scopes'>>) {
    if (changes.revokedAt !== undefined) {
      await this.pool.query('UPDATE sdp_api_keys SET revoked_at = ? WHERE id = ?', [
        sqlDate(changes.revokedAt),
        id,
      ]);
    }
    if (changes.scopes !== undefined) {
      await this.pool.query('UPDATE sdp_api_keys SET scopes = ? WHERE id = ?', [
        changes.scopes.join(' '),
        id,
      ]);
    }
    return (await this.list()).find((k) => k.id === id);
  }
  close(): Promise<void> {
    return this.pool.end();
  }
}

/** The key store the configuration names: MariaDB when SDP_MARIADB_URL is set, else the data directory. */
export async function openKeyStore(options: { mariadbUrl?: string; dataDir: string }): Promise<KeyStore> {
  if (!options.mariadbUrl) return new FileKeyStore(options.dataDir);
  const pool = await openMariaDbPool(options.mariadbUrl, { connectionLimit: 2 });
  try {
    await migrate(pool, 'access', MIGRATIONS);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new MariaDbKeyStore(pool);
}
