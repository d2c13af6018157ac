/**
 * A bounded map over async work: at most `limit` calls in flight (an invocation overlaps its R2
 * latency this way; on the platform it has six subrequests in flight, more simply wait).
 */

/** Longest run of work (or of items: workerd's clock stands still between I/O) between two returns to the event loop. */
const YIELD_EVERY_MS = 20;
const YIELD_EVERY_ITEMS = 64;

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let lastYield = Date.now();
  let sinceYield = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
      // Back to the event loop now and then: a long run of already-settled promises would otherwise
      // hold it for seconds (Miniflare's queue broker loses such a batch after ~5 s). Not after every
      // item: a timer costs a millisecond or more, as much as several bins.
      if (++sinceYield >= YIELD_EVERY_ITEMS || Date.now() - lastYield >= YIELD_EVERY_MS) {
        lastYield = Date.now();
        sinceYield = 0;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

