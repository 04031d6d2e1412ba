/**
 * Tracks which items of an ordered source are finished, so a checkpoint can say "everything up to
 * here is done" (the watermark) plus the few finished items beyond it. Items finish out of order in a
 * pool; the watermark only moves over a contiguous run of finished items.
 */
export interface TrackedPosition {
  /** Number of leading items (in source order) that are all finished. */
  ordinal: number;
  /** Key of the last item of that run; a listing resumes with start-after = this key. */
  key: string | null;
}

export class OrderedCompletion {
  private watermark: TrackedPosition;
  private readonly pending = new Map<number, string>();
  private readonly finishedAhead = new Map<number, string>();

  constructor(start: TrackedPosition = { ordinal: 0, key: null }) {
    this.watermark = { ...start };
  }

  started(ordinal: number, key: string): void {
    this.pending.set(ordinal, key);
  }

  /** Marks an item that was known finished before it was even started (finished beyond the watermark in an earlier run). */
  finished(ordinal: number, key: string): void {
    this.pending.delete(ordinal);
    if (ordinal < this.watermark.ordinal) return;
    this.finishedAhead.set(ordinal, key);
    for (;;) {
      const nextKey = this.finishedAhead.get(this.watermark.ordinal);
      if (nextKey === undefined) break;
      this.finishedAhead.delete(this.watermark.ordinal);
      this.watermark = { ordinal: this.watermark.ordinal + 1, key: nextKey };
    }
  }

  /** Forget an item that was started but will not finish in this run (aborted): it stays undone. */
  abandoned(ordinal: number): void {
    this.pending.delete(ordinal);
  }

  position(): TrackedPosition {
    return { ...this.watermark };
  }

  finishedAheadKeys(): string[] {
    return [...this.finishedAhead.values()];
  }

  inFlightKeys(): string[] {
    return [...this.pending.values()];
  }
}
