/**
 * Adaptive concurrency limit (AIMD, as TCP congestion control): a throttling answer (503, SlowDown)
 * halves the limit, and every success adds 1/limit, so the limit climbs back by about one slot per
 * round of successful requests. Halving happens at most once per cooldown window, because a burst of
 * 503s caused by one overload should count as one signal, not collapse the limit to 1.
 */
export interface AdaptiveLimiterOptions {
  /** Upper bound, and the starting limit. */
  max: number;
  /** Lower bound; default 1. */
  min?: number;
  /** Minimum time between two decreases; default 1000 ms. */
  cooldownMs?: number;
  now?: () => number;
}

export class AdaptiveLimiter {
  readonly max: number;
  readonly min: number;
  private value: number;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  /** Throttling signals seen (each 503/SlowDown), and how many of them lowered the limit. */
  throttles = 0;
  decreases = 0;
  /** The lowest limit reached so far. */
  lowest: number;

  constructor(opts: AdaptiveLimiterOptions) {
    if (!Number.isInteger(opts.max) || opts.max < 1) throw new RangeError(`limiter max must be an integer >= 1, got ${opts.max}`);
    this.max = opts.max;
    this.min = Math.max(1, Math.min(opts.min ?? 1, opts.max));
    this.value = opts.max;
    this.lowest = opts.max;
    this.cooldownMs = opts.cooldownMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /** The whole number of slots currently allowed. */
  get limit(): number {
    return Math.max(this.min, Math.floor(this.value));
  }

  /** A throttling answer was seen. Returns true when it lowered the limit. */
  onThrottle(): boolean {
    this.throttles += 1;
    const t = this.now();
    if (t - this.lastDecreaseAt < this.cooldownMs) return false;
    this.lastDecreaseAt = t;
    const before = this.limit;
    this.value = Math.max(this.min, Math.floor(this.value / 2));
    if (this.limit < before) this.decreases += 1;
    this.lowest = Math.min(this.lowest, this.limit);
    return this.limit < before;
  }

  /** A request succeeded: recover additively. */
  onSuccess(): void {
    if (this.value < this.max) this.value = Math.min(this.max, this.value + 1 / Math.max(1, this.value));
  }
}
