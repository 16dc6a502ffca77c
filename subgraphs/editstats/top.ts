/**
 * The N most edited pages of a wiki-day, chosen while the day's page roll-ups
 * stream past page by page: a bounded min-heap keeps the best N seen so far,
 * so memory is O(N) however many pages were edited that day (100k+ on a busy
 * wiki) and the store never has to sort or hold the whole day.
 *
 * Order: most edits first; ties by ascending page id, so the list is the same
 * in every store and on every call.
 */
import type { PageDayCounts } from './model';

/** Negative when `a` ranks before `b`. */
export function compareRank(a: PageDayCounts, b: PageDayCounts): number {
  return b.edits - a.edits || a.pageId - b.pageId;
}

export class TopPages {
  /** Min-heap by rank: the root is the worst of the kept pages, the first to go. */
  private readonly heap: PageDayCounts[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    }
  }

  offer(page: PageDayCounts): void {
    if (this.limit === 0) return;
    if (this.heap.length < this.limit) {
      this.heap.push(page);
      this.siftUp(this.heap.length - 1);
    } else if (compareRank(page, this.heap[0]!) < 0) {
      this.heap[0] = page;
      this.siftDown(0);
    }
  }

  /**
   * Whether a page with `edits` edits could still be kept: lets a store skip
   * whole groups of pages whose busiest page has fewer edits than the worst
   * kept one (equal edits may still enter, on a lower page id).
   */
  couldKeep(edits: number): boolean {
    if (this.limit === 0) return false;
    return this.heap.length < this.limit || edits >= this.heap[0]!.edits;
  }

  /** The kept pages, best first. */
  result(): PageDayCounts[] {
    return [...this.heap].sort(compareRank);
  }

  /** True when `a` is worse than `b` (belongs nearer the root). */
  private worse(a: PageDayCounts, b: PageDayCounts): boolean {
    return compareRank(a, b) > 0;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(h[i]!, h[parent]!)) return;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < h.length && this.worse(h[left]!, h[worst]!)) worst = left;
      if (right < h.length && this.worse(h[right]!, h[worst]!)) worst = right;
      if (worst === i) return;
      [h[i], h[worst]] = [h[worst]!, h[i]!];
      i = worst;
    }
  }
}
