/**
 * The `pages` stream binding end to end on a real store: an event MariaDB must
 * refuse (a title beyond its column) is dead-lettered by the binding's domain
 * check instead of failing its batch forever, and the events around it apply.
 */
import { deadLetterTopic } from '../../config/env';
import { EmbeddedEventLog } from '../../streams/embedded/log';
import { DLQ_HEADERS, startIngest } from '../../streams/ingest';
import type { LogMessage } from '../../streams/port';
import { loadEventSchemas } from '../../streams/schemas';
import { toPageChange } from '../../subgraphs/pages/events';
import { LIMITS, pageChangeInvalidReason } from '../../streams/contracts/page-change';
import { pageChangeBinding } from '../../subgraphs/pages/product';
import { openMariaDbPagesStore } from '../../subgraphs/pages/store/mariadb';
import type { PagesStore } from '../../subgraphs/pages/store/port';
import { pageChange } from '../fixtures/page-change';
import { testLogger } from '../harness/kafka';
import { createTestDatabase, type TestDatabase } from '../harness/mariadb';
import { waitFor } from '../harness/wait';

const long = 'T'.repeat(LIMITS.titleChars + 1);

describe('pageChangeInvalidReason', () => {
  it('accepts what the stores hold, counting characters, not bytes, for titles', () => {
    expect(
      pageChangeInvalidReason(pageChange({ kind: 'create', pageId: 1, title: 'Ä'.repeat(255), revId: 1 })),
    ).toBe(null);
  });

  it.each([
    ['title', { title: long }, '/page/page_title is longer than 255 characters'],
    [
      'redirect target',
      { redirectTo: { title: long } },
      '/page/redirect_page_link/page_title is longer than 255 characters',
    ],
    [
      'editor name',
      { editor: { name: 'U'.repeat(256), id: 5 } },
      '/revision/editor/user_text is longer than 255 characters',
    ],
    ['comment', { comment: 'é'.repeat(40000) }, '/revision/comment is longer than 65535 bytes'],
    ['wiki id', { wikiId: 'w'.repeat(65) }, 'wiki_id is longer than 64 characters'],
  ])('rejects an over-long %s', (_what, spec, reason) => {
    expect(
      pageChangeInvalidReason(pageChange({ kind: 'create', pageId: 1, title: 'A', revId: 1, ...spec })),
    ).toBe(reason);
  });
});

describe('pages ingest into MariaDB', () => {
  let db: TestDatabase;
  let store: PagesStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openMariaDbPagesStore(db.url);
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('MariaDB refuses an over-long title outright: this is what the check protects the partition from', async () => {
    const change = toPageChange(pageChange({ kind: 'create', pageId: 9, title: long, revId: 9 }));
    await expect(store.applyChanges([change])).rejects.toThrow();
  });

  it('dead-letters the over-long event and applies its neighbours', async () => {
    const log = new EmbeddedEventLog();
    const topic = 'mediawiki.page_change.v1';
    const producer = await log.producer();
    const key = JSON.stringify({ wiki_id: 'enwiki', page_id: 1 });
    await producer.send(topic, [
      { key, value: JSON.stringify(pageChange({ kind: 'create', pageId: 1, title: 'Before', revId: 10 })) },
      { key, value: JSON.stringify(pageChange({ kind: 'move', pageId: 1, title: long, revId: 11 })) },
      { key, value: JSON.stringify(pageChange({ kind: 'edit', pageId: 1, title: 'Before', revId: 12 })) },
    ]);
    const dead: LogMessage[] = [];
    const dlq = log.consumer({ groupId: 'dlq-reader', topics: [deadLetterTopic(topic)] });
    await dlq.run(async (batch) => {
      dead.push(...batch.messages);
    });
    const ingest = await startIngest({
      log,
      schemas: loadEventSchemas(),
      binding: pageChangeBinding,
      store,
      groupId: 'pages',
      topic,
      logger: testLogger(),
    });
    try {
      await waitFor('both valid events applied', () => ingest.stats().applied === 2);
      await waitFor('the dead letter', () => dead.length === 1);
    } finally {
      await ingest.stop();
      await dlq.stop();
      await producer.close();
      await log.close();
    }
    expect(dead[0]!.headers[DLQ_HEADERS.reason]).toBe('/page/page_title is longer than 255 characters');
    const [page] = await store.pagesById([{ wikiId: 'enwiki', pageId: 1 }]);
    expect(page).toMatchObject({ title: 'Before', latestRevId: 12 });
  });
});
