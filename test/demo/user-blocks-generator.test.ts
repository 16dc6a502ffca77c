/**
 * The demo's blocks-change generator: valid, admissible events, on editors the
 * page generator really used, by administrators it really showed, shaped like
 * MediaWiki's (expiry omitted when indefinite, prior state on a re-block).
 */
import { PageChangeGenerator } from '../../demo/page-change-generator';
import { BLOCKS_PER_PAGE_CHANGE, UserBlocksGenerator } from '../../demo/user-blocks-generator';
import { rejectReason } from '../../streams/check';
import { loadEventSchemas } from '../../streams/schemas';
import type { PageChangeEvent } from '../../streams/contracts/page-change';
import type { BlocksChangeEvent } from '../../subgraphs/users/events';
import { userBlocksChangeBinding } from '../../subgraphs/users/product';

const N = 5000;

/** Page changes and the blocks generated alongside them, in chunks as the feeder asks for them. */
function run(seed: number): { pages: PageChangeEvent[]; blocks: BlocksChangeEvent[] } {
  const pageGenerator = new PageChangeGenerator({ seed, startTime: '2025-03-01T00:00:00Z' });
  const blockGenerator = new UserBlocksGenerator({ seed });
  const pages: PageChangeEvent[] = [];
  const blocks: BlocksChangeEvent[] = [];
  for (let i = 0; i < N; i += 50) {
    const chunk = pageGenerator.nextN(50);
    pages.push(...chunk);
    blockGenerator.observe(chunk);
    blocks.push(...blockGenerator.next(50));
  }
  return { pages, blocks };
}

const { pages, blocks } = run(7);

/** Users named by the page changes up to (and including) time `ms`, per wiki. */
function editorsUntil(ms: number): Map<string, Map<string, PageChangeEvent['performer']>> {
  const byWiki = new Map<string, Map<string, PageChangeEvent['performer']>>();
  for (const e of pages) {
    if (Date.parse(e.dt) > ms) break;
    let users = byWiki.get(e.wiki_id);
    if (!users) byWiki.set(e.wiki_id, (users = new Map()));
    for (const u of [e.revision.editor, e.performer]) if (u?.user_text) users.set(u.user_text, u);
  }
  return byWiki;
}

describe('UserBlocksGenerator', () => {
  it('produces blocks at about the intended rate, every one admissible to mediawiki.user-blocks-change', () => {
    expect(blocks.length).toBeGreaterThan(N * BLOCKS_PER_PAGE_CHANGE * 0.7);
    expect(blocks.length).toBeLessThan(N * BLOCKS_PER_PAGE_CHANGE * 1.3);
    const schemas = loadEventSchemas();
    const refused = blocks
      .map((e) => rejectReason(e, schemas, userBlocksChangeBinding))
      .filter((r) => r !== null);
    expect(refused).toEqual([]);
    expect(new Set(blocks.map((e) => e.$schema))).toEqual(new Set(['/mediawiki/user/blocks-change/1.1.0']));
  });

  it('blocks editors the wiki has shown, performed by administrators it has shown, after their edits', () => {
    for (const block of blocks) {
      const known = editorsUntil(Date.parse(block.meta.dt)).get(block.database);
      const target = known?.get(block.user_text);
      expect({ target: block.user_text, known: target !== undefined }).toEqual({
        target: block.user_text,
        known: true,
      });
      expect(target!.groups?.includes('sysop') ?? false).toBe(false);
      expect(target!.is_bot ?? false).toBe(false);
      expect(block.user_id).toBe(target!.user_id);
      const admin = known!.get(block.performer!.user_text);
      expect(admin?.groups).toContain('sysop');
      expect(block.performer!.user_id).toBe(admin!.user_id);
    }
    // Both kinds of editor get blocked, on both wikis.
    expect(new Set(blocks.map((b) => b.user_id === undefined))).toEqual(new Set([true, false]));
    expect(new Set(blocks.map((b) => b.database))).toEqual(new Set(['enwiki', 'dewiki']));
  });

  it('shapes blocks like MediaWiki: indefinite without expiry, partial with page restrictions, IPs as anonymous', () => {
    const indefinite = blocks.filter((b) => b.blocks.expiry_dt === undefined);
    expect(indefinite.length).toBeGreaterThan(0);
    for (const b of blocks) {
      if (b.blocks.expiry_dt !== undefined)
        expect(Date.parse(b.blocks.expiry_dt)).toBeGreaterThan(Date.parse(b.meta.dt));
      expect(b.blocks.sitewide).toBe(b.blocks.restrictions!.length === 0);
      if (b.user_id === undefined) {
        expect(b.user_groups).toEqual(['*']);
        expect(b.blocks.expiry_dt).toBeDefined();
      }
    }
    const partial = blocks.filter((b) => b.blocks.sitewide === false);
    expect(partial.length).toBeGreaterThan(0);
    for (const b of partial) {
      const pageId = b.blocks.restrictions![0]!.value;
      const edited = pages.some(
        (e) =>
          e.wiki_id === b.database &&
          e.page.page_id === pageId &&
          e.revision.editor?.user_text === b.user_text,
      );
      expect(edited).toBe(true);
    }
  });

  it('sends the prior block as prior_state when a block in force is changed', () => {
    const current = new Map<string, BlocksChangeEvent>();
    let reblocks = 0;
    for (const b of blocks) {
      const key = `${b.database}\u0000${b.user_text}`;
      const prior = current.get(key);
      const inForce =
        prior !== undefined &&
        (prior.blocks.expiry_dt === undefined || Date.parse(prior.blocks.expiry_dt) > Date.parse(b.meta.dt));
      expect(b.prior_state?.blocks).toEqual(inForce ? prior.blocks : undefined);
      if (inForce) reblocks++;
      current.set(key, b);
    }
    expect(reblocks).toBeGreaterThan(0);
  });

  it('is deterministic for a seed, and blocks nobody before it has seen an editor and an administrator', () => {
    expect(run(7).blocks).toEqual(blocks);
    expect(run(8).blocks).not.toEqual(blocks);
    expect(new UserBlocksGenerator({ seed: 1 }).next(1000)).toEqual([]);
  });

  it('stamps blocks with the clock when given one, strictly increasing', () => {
    const generator = new UserBlocksGenerator({ seed: 3, clock: () => Date.parse('2026-05-01T00:00:00Z') });
    generator.observe(pages.slice(0, 500));
    const stamped = generator.next(500);
    expect(stamped.length).toBeGreaterThan(1);
    const times = stamped.map((b) => Date.parse(b.meta.dt));
    expect(times[0]).toBe(Date.parse('2026-05-01T00:00:00Z'));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]!);
  });
});
