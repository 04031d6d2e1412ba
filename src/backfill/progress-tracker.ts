/**
 * Tracks which items of an ordered source were started and which of those are not finished yet.
 * The pool starts items in source order, so "the last item started" plus "the started items not
 * finished" is the whole state a resume needs (checkpoint.ts): it never grows beyond the pool's size,
 * however slow one object is (a watermark over finished items would have to list every item that
 * finished beyond the slow one).
 */
export interface TrackedPosition {
  /** Number of leading items (in source order) that were started; the next item to start has this ordinal. */
  ordinal: number;
  /** Key of the last item started; a listing resumes with start-after = this key. */
  key: string | null;
}

export class StartTracker {
  private last: TrackedPosition;
  private readonly pending = new Map<number, string>();

  constructor(start: TrackedPosition = { ordinal: 0, key: null }) {
    this.last = { ...start };
  }

  /**
   * An item starts. `id` is unique per item: the source ordinal for source items, or a negative id for
   * items redone from an earlier run (`fromSource` false), which do not move the position.
   */
  started(id: number, key: string, fromSource = true): void {
    this.pending.set(id, key);
    if (fromSource && id >= this.last.ordinal) this.last = { ordinal: id + 1, key };
  }

  finished(id: number): void {
    this.pending.delete(id);
  }

  position(): TrackedPosition {
    return { ...this.last };
  }

  inFlightKeys(): string[] {
    return [...this.pending.values()];
  }

  get inFlightCount(): number {
    return this.pending.size;
  }
}
