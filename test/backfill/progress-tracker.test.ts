import { OrderedCompletion } from '../../src/backfill/progress-tracker';

describe('OrderedCompletion', () => {
  it('moves the watermark only over a contiguous run of finished items', () => {
    const t = new OrderedCompletion();
    ['a', 'b', 'c', 'd'].forEach((k, i) => t.started(i, k));
    t.finished(1, 'b');
    t.finished(3, 'd');
    expect(t.position()).toEqual({ ordinal: 0, key: null });
    expect(t.finishedAheadKeys().sort()).toEqual(['b', 'd']);
    expect(t.inFlightKeys().sort()).toEqual(['a', 'c']);
    t.finished(0, 'a');
    expect(t.position()).toEqual({ ordinal: 2, key: 'b' });
    expect(t.finishedAheadKeys()).toEqual(['d']);
    t.finished(2, 'c');
    expect(t.position()).toEqual({ ordinal: 4, key: 'd' });
    expect(t.finishedAheadKeys()).toEqual([]);
    expect(t.inFlightKeys()).toEqual([]);
  });

  it('resumes from a saved position; abandoned items stay undone', () => {
    const t = new OrderedCompletion({ ordinal: 10, key: 'j' });
    t.started(10, 'k');
    t.started(11, 'l');
    t.finished(11, 'l');
    t.abandoned(10);
    expect(t.position()).toEqual({ ordinal: 10, key: 'j' });
    expect(t.inFlightKeys()).toEqual([]);
    expect(t.finishedAheadKeys()).toEqual(['l']);
  });
});
