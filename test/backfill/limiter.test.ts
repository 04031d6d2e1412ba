import { AdaptiveLimiter } from '../../src/backfill/limiter';

describe('AdaptiveLimiter', () => {
  it('halves on throttling, at most once per cooldown, then recovers additively', () => {
    let now = 0;
    const l = new AdaptiveLimiter({ max: 32, cooldownMs: 1000, now: () => now });
    expect(l.limit).toBe(32);
    expect(l.onThrottle()).toBe(true);
    expect(l.limit).toBe(16);
    expect(l.onThrottle()).toBe(false); // same burst
    expect(l.limit).toBe(16);
    now = 1500;
    expect(l.onThrottle()).toBe(true);
    expect(l.limit).toBe(8);
    expect(l.throttles).toBe(3);
    expect(l.decreases).toBe(2);
    expect(l.lowest).toBe(8);
    // each success adds 1/limit: about one slot per 8 successes at limit 8
    for (let i = 0; i < 7; i++) l.onSuccess();
    expect(l.limit).toBe(8);
    for (let i = 0; i < 2; i++) l.onSuccess();
    expect(l.limit).toBe(9);
    for (let i = 0; i < 10_000; i++) l.onSuccess();
    expect(l.limit).toBe(32);
  });

  it('never goes below min', () => {
    let now = 0;
    const l = new AdaptiveLimiter({ max: 4, min: 2, cooldownMs: 0, now: () => (now += 10) });
    for (let i = 0; i < 10; i++) l.onThrottle();
    expect(l.limit).toBe(2);
  });

  it('rejects a bad max', () => {
    expect(() => new AdaptiveLimiter({ max: 0 })).toThrow(/max must be an integer >= 1/);
  });
});
