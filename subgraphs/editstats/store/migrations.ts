/**
 * Schema of the `editstats` product in Cassandra (keyspace
 * `SDP_CASSANDRA_KEYSPACE_PREFIX` + `editstats`), applied on start by
 * `openCassandraSession` from platform/cassandra.ts. Applied migrations are
 * history: add a new one, never edit one. CQL 3.2 only (tests run Cassandra
 * 2.1): no date type, so days are `YYYYMMDD` text, which sorts as dates do.
 *
 * Tables, each shaped for the one query that reads it (see rollup.ts
 * for how they are kept exact and why the buckets):
 *  - wiki_day_bucket_edits  one row per counted edit, in the partition of its
 *                           (wiki, day, page bucket): the facts its page-day and
 *                           bucket roll-ups are recomputed from, and what a top
 *                           list tallies;
 *  - page_daily             a page's daily series (`Page.editStats`): one
 *                           partition per page, a row per day;
 *  - wiki_day_buckets       a wiki-day's bucket roll-ups (at most 4096 rows),
 *                           with each bucket's busiest page's edits: what the
 *                           day total is recomputed from and what a top list
 *                           prunes by;
 *  - wiki_daily             a wiki's daily series (`Query.wikiEditStats`).
 * Counts are bigint: a wiki-day's net bytes can pass 2^31, and one codec for
 * every count keeps the adapter simple.
 *
 * The roll-up tables are written with explicit write timestamps (the number of
 * edits a roll-up was computed from). Remove their rows only with TRUNCATE:
 * a DELETE's tombstone carries the wall clock, which would hide every later
 * write of that row.
 */
import type { CassandraMigration } from '../../../platform/cassandra';

export const EDITSTATS_PRODUCT = 'editstats';

const COUNT_COLUMNS = `edits bigint,
  registered_edits bigint,
  anonymous_edits bigint,
  bot_edits bigint,
  net_bytes bigint`;

/** Tables `reset()` truncates: everything derived from the stream. */
export const EDITSTATS_TABLES = [
  'wiki_day_bucket_edits',
  'page_daily',
  'wiki_day_buckets',
  'wiki_daily',
] as const;

export const EDITSTATS_MIGRATIONS: CassandraMigration[] = [
  {
    version: 1,
    name: 'edit rows by page bucket and daily roll-ups',
    up: [
      `CREATE TABLE IF NOT EXISTS wiki_day_bucket_edits (
  wiki_id text,
  day text,
  bucket int,
  page_id bigint,
  rev_id bigint,
  editor_kind text,
  net_bytes bigint,
  PRIMARY KEY ((wiki_id, day, bucket), page_id, rev_id)
)`,
      `CREATE TABLE IF NOT EXISTS page_daily (
  wiki_id text,
  page_id bigint,
  day text,
  ${COUNT_COLUMNS},
  PRIMARY KEY ((wiki_id, page_id), day)
)`,
      `CREATE TABLE IF NOT EXISTS wiki_day_buckets (
  wiki_id text,
  day text,
  bucket int,
  ${COUNT_COLUMNS},
  top_page_edits bigint,
  PRIMARY KEY ((wiki_id, day), bucket)
)`,
      `CREATE TABLE IF NOT EXISTS wiki_daily (
  wiki_id text,
  day text,
  ${COUNT_COLUMNS},
  PRIMARY KEY (wiki_id, day)
)`,
    ],
  },
];
