/**
 * Schema of the `pages` product in MariaDB, applied by `migrate()` from
 * platform/mariadb.ts. Applied migrations are history: add a new one, never
 * edit one.
 *
 * Naming follows MediaWiki's `page`/`revision` loosely, prefixed by the product.
 * Every text column is utf8mb4 with `utf8mb4_nopad_bin`: MediaWiki titles are
 * case-sensitive beyond the first letter, and a PAD SPACE collation (including
 * utf8mb4_bin) would make `Foo` and `Foo ` the same key. Ids are BIGINT UNSIGNED
 * because the event schema allows any integer up to 2^53−1, not MediaWiki's INT.
 */
import type { Migration } from '../../../platform/mariadb';

export const PAGES_PRODUCT = 'pages';

export const PAGES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'pages_page and pages_revision',
    up: [
      `CREATE TABLE IF NOT EXISTS pages_page (
        wiki_id VARCHAR(64) NOT NULL,
        page_id BIGINT UNSIGNED NOT NULL,
        namespace INT NOT NULL,
        -- MediaWiki caps titles at 255 bytes, which is at most 255 characters.
        title VARCHAR(255) NOT NULL,
        is_redirect TINYINT(1) NOT NULL,
        redirect_namespace INT NULL,
        redirect_title VARCHAR(255) NULL,
        latest_rev_id BIGINT UNSIGNED NULL,
        is_deleted TINYINT(1) NOT NULL,
        -- Version of the row's state (event dt in microseconds, then revision id).
        state_dt_us BIGINT NOT NULL,
        state_rev_id BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (wiki_id, page_id),
        -- Not unique: out-of-order history can briefly leave two rows with one title.
        KEY pages_page_title (wiki_id, namespace, title),
        -- listPages filtered by namespace walks this in page id order.
        KEY pages_page_namespace (wiki_id, namespace, page_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin`,
      `CREATE TABLE IF NOT EXISTS pages_revision (
        wiki_id VARCHAR(64) NOT NULL,
        rev_id BIGINT UNSIGNED NOT NULL,
        page_id BIGINT UNSIGNED NOT NULL,
        parent_rev_id BIGINT UNSIGNED NULL,
        rev_timestamp DATETIME(3) NOT NULL,
        size_bytes BIGINT UNSIGNED NULL,
        sha1 VARCHAR(64) NULL,
        is_minor_edit TINYINT(1) NOT NULL,
        comment TEXT NULL,
        editor_name VARCHAR(255) NULL,
        editor_id BIGINT UNSIGNED NULL,
        is_comment_visible TINYINT(1) NOT NULL,
        is_content_visible TINYINT(1) NOT NULL,
        is_editor_visible TINYINT(1) NOT NULL,
        visibility_dt_us BIGINT NOT NULL,
        PRIMARY KEY (wiki_id, rev_id),
        KEY pages_revision_page (wiki_id, page_id, rev_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin`,
    ],
  },
];
