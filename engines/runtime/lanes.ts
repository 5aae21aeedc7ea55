/**
 * Calls fn(index, lane) for every index in [0, count), at most `lanes` at a time (lane = 0 … lanes−1,
 * so each lane can own a buffer), in index order. After a failure no further index is started and the
 * first error is thrown once the calls in flight have settled. Used by stages whose session runs several
 * batches side by side (OcrSession.parallelism). Returns how many lanes ran: `lanes`, at most `count`, at least 1.
 */
export async function inLanes(count: number, lanes: number, fn: (index: number, lane: number) => Promise<void>): Promise<number> {
  const n = Math.max(1, Math.min(Math.floor(lanes), count));
  let next = 0;
  let failed = false;
  const lane = async (k: number): Promise<void> => {
    while (!failed && next < count) {
      const index = next++;
      try {
        await fn(index, k);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: count > 0 ? n : 0 }, (_, k) => lane(k)));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return n;
}
