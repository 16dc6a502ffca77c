/**
 * Schema of the `users` product in MariaDB, applied by `migrate()` from
 * platform/mariadb.ts. Applied migrations are history: add a new one, never
 * edit one.
 *
 * One row per (wiki, name), like MediaWiki's `actor` table, which also holds
 * accounts and IP addresses side by side. Names are utf8mb4 with
 * `utf8mb4_nopad_bin`: user names are case-sensitive beyond the first letter,
 * and a PAD SPACE collation would make `Foo` and `Foo ` one key. Times are
 * BIGINT microseconds (as the `pages` versions): event times carry
 * sub-millisecond digits, and an expiry or registration far outside DATETIME's
 * range must not fail a batch. Lists (groups, restrictions) are JSON text; they
 * are only ever read whole.
 */
import type { Migration } from '../../../platform/mariadb';

export const USERS_PRODUCT = 'users';

export const USERS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'users_user',
    up: [
      `CREATE TABLE IF NOT EXISTS users_user (
        wiki_id VARCHAR(64) NOT NULL,
        -- MediaWiki caps user names at 255 bytes, which is at most 255 characters.
        name VARCHAR(255) NOT NULL,
        -- Each changeable fact with the event time it came from; both NULL while unknown.
        user_id BIGINT UNSIGNED NULL,
        user_id_dt_us BIGINT NULL,
        is_bot TINYINT(1) NULL,
        is_bot_dt_us BIGINT NULL,
        user_groups TEXT NULL,
        user_groups_dt_us BIGINT NULL,
        edit_count BIGINT UNSIGNED NULL,
        registered_us BIGINT NULL,
        first_seen_us BIGINT NOT NULL,
        -- The newest block stated for the user; block_dt_us is NULL when none ever was.
        block_dt_us BIGINT NULL,
        block_expires_us BIGINT NULL,
        block_reason TEXT NULL,
        block_by VARCHAR(255) NULL,
        block_hides_name TINYINT(1) NULL,
        block_email TINYINT(1) NULL,
        block_user_talk TINYINT(1) NULL,
        block_account_create TINYINT(1) NULL,
        block_sitewide TINYINT(1) NULL,
        block_restrictions TEXT NULL,
        PRIMARY KEY (wiki_id, name)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin`,
    ],
  },
];
