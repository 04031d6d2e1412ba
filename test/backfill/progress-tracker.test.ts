import { StartTracker } from '../../src/backfill/progress-tracker';

describe('StartTracker', () => {
  it('moves the position on every start and keeps only unfinished items in flight', () => {
    const t = new StartTracker();
    ['a', 'b', 'c', 'd'].forEach((k, i) => t.started(i, k));
    t.finished(1);
    t.finished(3);
    expect(t.position()).toEqual({ ordinal: 4, key: 'd' });
    expect(t.inFlightKeys().sort()).toEqual(['a', 'c']);
    t.finished(0);
    t.finished(2);
    expect(t.inFlightKeys()).toEqual([]);
  });

  it('redone items (negative ids) are in flight but do not move the position', () => {
    const t = new StartTracker({ ordinal: 10, key: 'j' });
    t.started(-1, 'e', false);
    expect(t.position()).toEqual({ ordinal: 10, key: 'j' });
    expect(t.inFlightKeys()).toEqual(['e']);
    t.started(10, 'k');
    t.finished(-1);
    expect(t.position()).toEqual({ ordinal: 11, key: 'k' });
    expect(t.inFlightKeys()).toEqual(['k']);
  });
});
