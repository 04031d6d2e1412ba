/**
 * A bounded worker pool over an async source. Items are pulled only when a slot is free, so the source
 * (a paginated listing, an inventory file) is read lazily and never held whole in memory; the source
 * itself prefetches its next page, which is how listing overlaps with processing.
 */
export interface PoolOptions {
  /** Read before every start, so an adaptive limiter can shrink or grow the pool while it runs. */
  concurrency: () => number;
  /** Stops pulling new items; items already started run to their end (the worker gets the signal too). */
  signal?: AbortSignal;
}

export interface PoolResult {
  /** True when the source was read to its end (false after an abort). */
  exhausted: boolean;
  started: number;
}

export async function runPool<T>(source: AsyncIterable<T>, worker: (item: T) => Promise<void>, opts: PoolOptions): Promise<PoolResult> {
  const iterator = source[Symbol.asyncIterator]();
  const active = new Set<Promise<void>>();
  let exhausted = false;
  let started = 0;
  let failure: { error: unknown } | undefined;
  const aborted = (): boolean => opts.signal?.aborted === true;
  // One wake-up for "a slot freed or the run was aborted". (Promise.race over every active item would add a reaction
  // to each of them per completion: O(width) work per item, and reactions piling up on long-running items.)
  let wake: (() => void) | undefined;
  const wakeUp = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  opts.signal?.addEventListener('abort', wakeUp);

  try {
    for (;;) {
      while (!exhausted && !failure && !aborted() && active.size < Math.max(1, opts.concurrency())) {
        let next: IteratorResult<T>;
        try {
          next = await iterator.next();
        } catch (error) {
          // The source failed (e.g. a listing page after its retries): stop pulling, let the started items finish.
          failure = { error };
          exhausted = true; // a generator that threw is finished; nothing to return()
          break;
        }
        if (next.done) {
          exhausted = true;
          break;
        }
        // An item pulled after the abort is simply not started: the checkpoint never recorded it, so a resumed run reads it again.
        if (aborted()) break;
        started += 1;
        const run: Promise<void> = worker(next.value)
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => {
            active.delete(run);
            wakeUp();
          });
        active.add(run);
      }
      if (active.size === 0) break;
      // No await between the checks above and setting `wake`, so a completion cannot slip between them.
      if (!aborted() && !failure) await new Promise<void>((resolve) => (wake = resolve));
      if (aborted() || failure) {
        await Promise.allSettled([...active]);
        break;
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', wakeUp);
    if (!exhausted) await iterator.return?.();
  }
  if (failure) throw failure.error;
  return { exhausted, started };
}
