/**
 * `UsersStore` on MariaDB (InnoDB). A batch is folded to one row per user with
 * `state.ts`'s own mergeUser(), and each row is merged into the stored one by
 * the `ON DUPLICATE KEY UPDATE` clause below, which is mergeUser() in SQL: a
 * batch costs a few multi-row statements whatever it holds, and no row is read
 * back into Node.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Logger } from 'pino';
import { describeMariaDbPool, migrate, openMariaDbPool, withTransaction } from '../../../platform/mariadb';
import type { BlockRecord, BlockRestriction, UserChange, UserKey, UserRecord } from '../model';
import { mergeUser } from '../state';
import { USERS_MIGRATIONS, USERS_PRODUCT } from './migrations';
import type { UsersStore } from './port';

/** Rows per INSERT: few round trips, and (with the byte bound) far below max_allowed_packet. */
export const UPSERT_CHUNK_ROWS = 1000;
/** Text per INSERT: a chunk of rows with 64 kB block reasons must still fit one packet (16 MB by default). */
const UPSERT_CHUNK_BYTES = 4 * 1024 * 1024;

const USER_COLUMNS =
  'wiki_id, name, user_id, user_id_dt_us, is_bot, is_bot_dt_us, user_groups, user_groups_dt_us, ' +
  'edit_count, registered_us, first_seen_us, block_dt_us, block_expires_us, block_reason, block_by, ' +
  'block_hides_name, block_email, block_user_talk, block_account_create, block_sitewide, block_restrictions';

/**
 * A versioned fact is replaced when the incoming row knows it (its version is
 * not NULL) at least as recently: newest() in state.ts, ties to the incoming row.
 */
const isNewer = (version: string) =>
  `(VALUES(${version}) IS NOT NULL AND (${version} IS NULL OR VALUES(${version}) >= ${version}))`;

const ID_IS_NEWER = isNewer('user_id_dt_us');
const BOT_IS_NEWER = isNewer('is_bot_dt_us');
const GROUPS_IS_NEWER = isNewer('user_groups_dt_us');
const BLOCK_IS_NEWER = isNewer('block_dt_us');

const BLOCK_VALUE_COLUMNS = [
  'block_expires_us',
  'block_reason',
  'block_by',
  'block_hides_name',
  'block_email',
  'block_user_talk',
  'block_account_create',
  'block_sitewide',
  'block_restrictions',
];

/**
 * mergeUser() in SQL, merging a folded row (see foldedRows) into the stored
 * one. MariaDB evaluates the assignments left to right and each one sees the
 * columns already assigned, so every version column, which the assignments
 * before it compare against, comes after the values it guards. GREATEST() and
 * LEAST() are NULL when either side is, hence the COALESCEs.
 */
export const UPSERT_USERS_SQL = `INSERT INTO users_user (${USER_COLUMNS}) VALUES ?
ON DUPLICATE KEY UPDATE
  user_id = IF(${ID_IS_NEWER}, VALUES(user_id), user_id),
  is_bot = IF(${BOT_IS_NEWER}, VALUES(is_bot), is_bot),
  user_groups = IF(${GROUPS_IS_NEWER}, VALUES(user_groups), user_groups),
  edit_count = COALESCE(GREATEST(edit_count, VALUES(edit_count)), edit_count, VALUES(edit_count)),
  registered_us = COALESCE(LEAST(registered_us, VALUES(registered_us)), registered_us, VALUES(registered_us)),
  first_seen_us = LEAST(first_seen_us, VALUES(first_seen_us)),
  ${BLOCK_VALUE_COLUMNS.map((c) => `${c} = IF(${BLOCK_IS_NEWER}, VALUES(${c}), ${c})`).join(',\n  ')},
  block_dt_us = IF(${BLOCK_IS_NEWER}, VALUES(block_dt_us), block_dt_us),
  user_id_dt_us = IF(${ID_IS_NEWER}, VALUES(user_id_dt_us), user_id_dt_us),
  is_bot_dt_us = IF(${BOT_IS_NEWER}, VALUES(is_bot_dt_us), is_bot_dt_us),
  user_groups_dt_us = IF(${GROUPS_IS_NEWER}, VALUES(user_groups_dt_us), user_groups_dt_us)`;

export type SqlValue = string | number | boolean | null;

/** A user row as the upsert writes it; every fact carries its own version, as in the table. */
function userRow(u: UserRecord): SqlValue[] {
  const block = u.block;
  return [
    u.wikiId,
    u.name,
    u.userId,
    u.userIdDtUs,
    u.isBot,
    u.isBotDtUs,
    u.groups === null ? null : JSON.stringify(u.groups),
    u.groupsDtUs,
    u.editCount,
    u.registeredUs,
    u.firstSeenUs,
    block?.dtUs ?? null,
    block?.expiresUs ?? null,
    block?.reason ?? null,
    block?.blockedBy ?? null,
    block?.hidesName ?? null,
    block?.blocksEmail ?? null,
    block?.blocksOwnTalkPage ?? null,
    block?.blocksAccountCreation ?? null,
    block?.isSitewide ?? null,
    block ? JSON.stringify(block.restrictions) : null,
  ];
}

function nullableNumber(v: unknown): number | null {
  return v === null ? null : Number(v);
}

function nullableBoolean(v: unknown): boolean | null {
  return v === null ? null : v === 1;
}

function toBlock(r: RowDataPacket): BlockRecord | null {
  if (r.block_dt_us === null) return null;
  return {
    dtUs: Number(r.block_dt_us),
    expiresUs: nullableNumber(r.block_expires_us),
    reason: r.block_reason,
    blockedBy: r.block_by,
    hidesName: r.block_hides_name === 1,
    blocksEmail: r.block_email === 1,
    blocksOwnTalkPage: r.block_user_talk === 1,
    blocksAccountCreation: r.block_account_create === 1,
    isSitewide: r.block_sitewide === 1,
    restrictions: JSON.parse(r.block_restrictions as string) as BlockRestriction[],
  };
}

function toUser(r: RowDataPacket): UserRecord {
  return {
    wikiId: r.wiki_id,
    name: r.name,
    userId: nullableNumber(r.user_id),
    userIdDtUs: nullableNumber(r.user_id_dt_us),
    isBot: nullableBoolean(r.is_bot),
    isBotDtUs: nullableNumber(r.is_bot_dt_us),
    groups: r.user_groups === null ? null : (JSON.parse(r.user_groups as string) as string[]),
    groupsDtUs: nullableNumber(r.user_groups_dt_us),
    editCount: nullableNumber(r.edit_count),
    registeredUs: nullableNumber(r.registered_us),
    firstSeenUs: Number(r.first_seen_us),
    block: toBlock(r),
  };
}

/**
 * The batch folded to one row per user, with mergeUser() itself, in key order.
 * Folding first is exact: every rule is a newest / highest / lowest over
 * versions, ties going to the later applied, so merging the folded row into
 * the stored one (which precedes the whole batch) gives what applying the
 * changes one by one would (also the benchmark's raw ceiling, as `UPSERT_USERS_SQL`
 * takes them). It makes a batch cost one row per user, not per
 * change: an active editor appears in many events of one batch. Key order
 * makes concurrent batches lock rows in the same order (fewer deadlocks).
 */
export function foldedRows(changes: readonly UserChange[]): SqlValue[][] {
  const byKey = new Map<string, UserRecord>();
  for (const change of changes) {
    const key = `${change.user.wikiId}\u0000${change.user.name}`;
    byKey.set(key, mergeUser(byKey.get(key), change));
  }
  return [...byKey.values()]
    .sort((a, b) => {
      if (a.wikiId !== b.wikiId) return a.wikiId < b.wikiId ? -1 : 1;
      if (a.name !== b.name) return a.name < b.name ? -1 : 1;
      return 0;
    })
    .map(userRow);
}

function rowBytes(row: SqlValue[]): number {
  return row.reduce<number>((n, v) => n + (typeof v === 'string' ? Buffer.byteLength(v) : 8), 0);
}

/** Consecutive chunks of at most `maxRows` rows and (unless one row alone exceeds it) `maxBytes` of values. */
function* chunks(rows: readonly SqlValue[][], maxRows: number, maxBytes: number): Generator<SqlValue[][]> {
  let chunk: SqlValue[][] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = rowBytes(row);
    if (chunk.length > 0 && (chunk.length >= maxRows || bytes + size > maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * `(wiki_id = ? AND name IN (...)) OR ...`, one group per wiki: MariaDB plans
 * the row-constructor form `(wiki_id, name) IN ((?,?),...)` in time quadratic in
 * the list (see the pages store), although both end in primary-key ranges.
 */
function whereKeys(keys: readonly UserKey[]): { sql: string; params: unknown[] } {
  const byWiki = new Map<string, Set<string>>();
  for (const k of keys) {
    let names = byWiki.get(k.wikiId);
    if (!names) byWiki.set(k.wikiId, (names = new Set()));
    names.add(k.name);
  }
  const params: unknown[] = [];
  for (const [wikiId, names] of byWiki) params.push(wikiId, [...names]);
  return {
    sql: Array.from(byWiki.keys(), () => '(wiki_id = ? AND name IN (?))').join(' OR '),
    params,
  };
}

/**
 * Opens the store on a URL (the store owns the pool and ends it on close) or on
 * an existing pool (the caller keeps ownership), and applies pending migrations.
 */
export async function openMariaDbUsersStore(
  target: string | Pool,
  logger?: Logger,
  /** For a URL: how long to wait for a server that is not up yet (SDP_CONNECT_RETRY_SECONDS). */
  connectRetryMs?: number,
): Promise<UsersStore> {
  const ownsPool = typeof target === 'string';
  const pool =
    typeof target === 'string' ? await openMariaDbPool(target, { logger, connectRetryMs }) : target;
  try {
    await migrate(pool, USERS_PRODUCT, USERS_MIGRATIONS, { logger });
  } catch (err) {
    if (ownsPool) await pool.end().catch(() => undefined);
    throw err;
  }
  let closed = false;

  return {
    description: describeMariaDbPool(pool),
    durable: true,

    async applyChanges(changes) {
      if (changes.length === 0) return;
      const rows = foldedRows(changes);
      await withTransaction(
        pool,
        async (conn) => {
          for (const chunk of chunks(rows, UPSERT_CHUNK_ROWS, UPSERT_CHUNK_BYTES))
            await conn.query(UPSERT_USERS_SQL, [chunk]);
        },
        { logger },
      );
    },

    async usersByName(keys) {
      if (keys.length === 0) return [];
      const where = whereKeys(keys);
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT ${USER_COLUMNS} FROM users_user WHERE ${where.sql}`,
        where.params,
      );
      const found = new Map<string, Map<string, RowDataPacket>>();
      for (const r of rows) {
        let names = found.get(r.wiki_id);
        if (!names) found.set(r.wiki_id, (names = new Map()));
        names.set(r.name, r);
      }
      return keys.map((k) => {
        const r = found.get(k.wikiId)?.get(k.name);
        return r ? toUser(r) : null;
      });
    },

    async reset() {
      // TRUNCATE rather than DELETE: it drops the rows at once instead of one by
      // one through the undo log, and nothing else shares the table.
      await pool.query('TRUNCATE TABLE users_user');
    },

    async close() {
      if (closed) return;
      closed = true;
      if (ownsPool) await pool.end();
    },
  };
}
