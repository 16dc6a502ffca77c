/**
 * The `pageviews` keyspace (`<SDP_CASSANDRA_KEYSPACE_PREFIX>pageviews`), applied
 * by `openCassandraSession` from platform/cassandra.ts. Applied migrations are
 * history: add a new one, never edit one. CQL 3.2 only (Cassandra 2.1 runs the tests).
 *
 * `per_article_flat` is AQS's per-article table (same partition and clustering
 * keys, same 16 int columns, text timestamps), without RESTBase's hidden
 * `_domain`/`_tid`/`_del` columns, which only RESTBase's storage layer used. The
 * two other tables of version 1 are this product's own: the hourly source the
 * daily rows are recomputed from, and the per-day ranking input of the top
 * lists. Version 2 adds AQS's top lists themselves (`top_articles`, one row
 * per list, read by `topPages` in one partition read) and the monthly ranking input.
 */
import type { CassandraMigration } from '../../../platform/cassandra';
import { DAILY_COLUMNS, HOURLY_COLUMNS } from '../model';

export const PAGEVIEWS_PRODUCT = 'pageviews';

/**
 * Buckets each (project, access, day) ranking partition is split into: an
 * enwiki day has ~6 million viewed articles, far beyond a healthy partition;
 * 16 buckets keep each under ~30 MB. Part of the storage format: changing it
 * needs a migration that rewrites `top_daily`.
 */
export const TOP_BUCKETS = 16;

export const PAGEVIEWS_MIGRATIONS: CassandraMigration[] = [
  {
    version: 1,
    name: 'per_article_hourly, per_article_flat and top_daily',
    up: [
      // Source of truth: one partition per article-day (≤ 24 rows), read whole
      // when the day's daily row is recomputed. Cells are absolute counts; a
      // write sets only the cells its source measured.
      `CREATE TABLE IF NOT EXISTS per_article_hourly (
        project text,
        article text,
        day text,
        timestamp text,
        ${HOURLY_COLUMNS.map((c) => `${c} int`).join(', ')},
        PRIMARY KEY ((project, article, day), timestamp)
      ) WITH CLUSTERING ORDER BY (timestamp ASC)`,
      // AQS's per_article_flat: partition (project, article, granularity), one
      // row per day (`YYYYMMDD00`); read by a single-partition range scan.
      `CREATE TABLE IF NOT EXISTS per_article_flat (
        project text,
        article text,
        granularity text,
        timestamp text,
        ${DAILY_COLUMNS.map((c) => `${c} int`).join(', ')},
        PRIMARY KEY ((project, article, granularity), timestamp)
      ) WITH CLUSTERING ORDER BY (timestamp ASC)
        AND compaction = {'class': 'LeveledCompactionStrategy'}`,
      // A day's user-agent views per article and access method, for ranking.
      `CREATE TABLE IF NOT EXISTS top_daily (
        project text,
        access text,
        day text,
        bucket int,
        article text,
        views int,
        PRIMARY KEY ((project, access, day, bucket), article)
      )`,
    ],
  },
  {
    version: 2,
    name: 'top_articles (precomputed top lists) and top_monthly',
    up: [
      // AQS's top_pageviews: one row per list (project, access, day; a month's
      // list has day = 'all-days'), the ranked first 1000 as one JSON text
      // (AQS's articlesJSON shape). `version` is what a merge compares and sets
      // (a lightweight transaction), so two merges of one list never lose one.
      `CREATE TABLE IF NOT EXISTS top_articles (
        project text,
        access text,
        year text,
        month text,
        day text,
        articles text,
        version uuid,
        PRIMARY KEY ((project, access, year, month, day))
      )`,
      // A month's user-agent views per article and access method: the monthly
      // lists' ranking input, as top_daily is the daily lists'.
      `CREATE TABLE IF NOT EXISTS top_monthly (
        project text,
        access text,
        month text,
        bucket int,
        article text,
        views int,
        PRIMARY KEY ((project, access, month, bucket), article)
      )`,
    ],
  },
  {
    version: 3,
    name: 'days_written',
    up: [
      // Which days of a project's month hold hours, and who wrote them: a bulk
      // load checks it to know whether a day is fresh (nothing stored yet), so
      // it can write the day's sums without reading its hours back.
      `CREATE TABLE IF NOT EXISTS days_written (
        project text,
        month text,
        day text,
        writer text,
        PRIMARY KEY ((project, month), day, writer)
      )`,
    ],
  },
];
