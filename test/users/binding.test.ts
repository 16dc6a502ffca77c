/**
 * The `users` stream bindings end to end, through the real ingest into MariaDB:
 * a consumer that restarts before committing gets every event again, and that
 * must leave every row and count as it was; an event the store must refuse is
 * dead-lettered and its neighbours apply.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { deadLetterTopic } from '../../config/env';
import { openMariaDbPool } from '../../platform/mariadb';
import { toMessage } from '../../streams/check';
import { EmbeddedEventLog } from '../../streams/embedded/log';
import { DLQ_HEADERS, startIngest, type IngestHandle } from '../../streams/ingest';
import type { EventLog, LogMessage } from '../../streams/port';
import { loadEventSchemas } from '../../streams/schemas';
import { userBlocksChangeBinding, usersPageChangeBinding } from '../../subgraphs/users/product';
import { openMariaDbUsersStore } from '../../subgraphs/users/store/mariadb';
import type { UsersStore } from '../../subgraphs/users/store/port';
import { pageChange } from '../fixtures/page-change';
import { testLogger } from '../harness/kafka';
import { createTestDatabase, type TestDatabase } from '../harness/mariadb';
import { waitFor } from '../harness/wait';
import { blocksChange, editBy } from './fixtures';

const PAGE_TOPIC = 'mediawiki.page_change.v1';
const BLOCKS_TOPIC = 'mediawiki.user-blocks-change';
const schemas = loadEventSchemas();

let db: TestDatabase;
let store: UsersStore;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  store = await openMariaDbUsersStore(db.url);
  pool = await openMariaDbPool(db.url, { connectionLimit: 1 });
});

afterAll(async () => {
  await pool?.end();
  await store?.close();
  await db?.drop();
});

/** Every row and column, as MariaDB holds it. */
async function rows(): Promise<RowDataPacket[]> {
  const [result] = await pool.query<RowDataPacket[]>('SELECT * FROM users_user ORDER BY wiki_id, name');
  return result;
}

async function ingestBoth(log: EventLog, groupId: string): Promise<IngestHandle[]> {
  const common = { log, schemas, store, logger: testLogger(), startFrom: 'earliest' as const };
  return [
    await startIngest({
      ...common,
      binding: usersPageChangeBinding,
      groupId: `${groupId}.page`,
      topic: PAGE_TOPIC,
    }),
    await startIngest({
      ...common,
      binding: userBlocksChangeBinding,
      groupId: `${groupId}.blocks`,
      topic: BLOCKS_TOPIC,
    }),
  ];
}

const applied = (ingests: IngestHandle[]) => ingests.reduce((n, i) => n + i.stats().applied, 0);

test('redelivering every event (a restart before commit) leaves every row and count unchanged', async () => {
  const log = new EmbeddedEventLog();
  const producer = await log.producer();
  const edits = Array.from({ length: 40 }, (_, i) =>
    editBy(
      i % 3 === 0
        ? { user_text: `198.51.100.${i}` }
        : {
            user_text: `Editor ${i % 5}`,
            user_id: 10 + (i % 5),
            groups: ['*', 'user'],
            is_bot: false,
            edit_count: 100 + i,
          },
      { dt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), pageId: 1 + (i % 4), revId: 100 + i },
    ),
  );
  const blocks = [
    blocksChange({ target: 'Editor 1', targetId: 11, dt: '2026-01-01T01:00:00Z', reason: 'spam' }),
    blocksChange({ target: '198.51.100.3', dt: '2026-01-01T01:01:00Z', expiry: '2026-02-01T00:00:00Z' }),
    blocksChange({ target: 'Editor 1', targetId: 11, dt: '2026-01-01T01:02:00Z', reason: 'spam, again' }),
  ];
  await producer.send(
    PAGE_TOPIC,
    edits.map((e) => toMessage(usersPageChangeBinding, e)),
  );
  await producer.send(
    BLOCKS_TOPIC,
    blocks.map((e) => toMessage(userBlocksChangeBinding, e)),
  );
  const total = edits.length + blocks.length;

  try {
    const first = await ingestBoth(log, 'users-first');
    try {
      await waitFor('every event applied', () => applied(first) === total);
    } finally {
      for (const i of first) await i.stop();
    }
    const before = await rows();
    // Editors, anonymous editors and the administrator all have rows; the count is not vacuous.
    expect(before.length).toBeGreaterThan(10);
    expect(before.find((r) => r.name === 'Editor 1')).toMatchObject({
      block_reason: 'spam, again',
      edit_count: 131,
    });

    // A new consumer group reads from the start: the whole log again, as after a crash before any commit.
    const again = await ingestBoth(log, 'users-again');
    try {
      await waitFor('every event applied again', () => applied(again) === total);
    } finally {
      for (const i of again) await i.stop();
    }
    expect(await rows()).toEqual(before);
  } finally {
    await producer.close();
    await log.close();
  }
});

test('an event the store must refuse is dead-lettered; the events around it apply', async () => {
  const log = new EmbeddedEventLog();
  const producer = await log.producer();
  const events = [
    blocksChange({ target: 'Before', dt: '2026-03-01T00:00:00Z' }),
    blocksChange({ target: 'N'.repeat(256), dt: '2026-03-01T00:00:01Z' }),
    blocksChange({ target: 'After', dt: '2026-03-01T00:00:02Z' }),
  ];
  await producer.send(
    BLOCKS_TOPIC,
    events.map((e) => ({ key: 'k', value: JSON.stringify(e) })),
  );
  // A page change with an over-long performer: pages would take it, users cannot.
  const edit = pageChange({ kind: 'edit', pageId: 1, title: 'P', revId: 5 });
  edit.performer = { user_text: 'P'.repeat(256) };
  await producer.send(PAGE_TOPIC, [toMessage(usersPageChangeBinding, edit)]);

  const dead: LogMessage[] = [];
  const dlq = log.consumer({
    groupId: 'dlq-reader',
    topics: [deadLetterTopic(BLOCKS_TOPIC), deadLetterTopic(PAGE_TOPIC)],
  });
  await dlq.run(async (batch) => {
    dead.push(...batch.messages);
  });
  const ingests = await ingestBoth(log, 'users-dlq');
  try {
    await waitFor('the valid events applied', () => applied(ingests) === 2);
    await waitFor('both dead letters', () => dead.length === 2);
  } finally {
    for (const i of ingests) await i.stop();
    await dlq.stop();
    await producer.close();
    await log.close();
  }
  expect(dead.map((m) => m.headers[DLQ_HEADERS.reason]).sort()).toEqual([
    '/performer/user_text is longer than 255 characters',
    'user_text is longer than 255 characters',
  ]);
  const [before, after] = await store.usersByName([
    { wikiId: 'enwiki', name: 'Before' },
    { wikiId: 'enwiki', name: 'After' },
  ]);
  expect(before?.block).not.toBeNull();
  expect(after?.block).not.toBeNull();
});
