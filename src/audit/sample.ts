/**
 * `--sample N`: a uniform random sample of N objects of the listing (reservoir sampling, Algorithm R, so the
 * listing is streamed once and only N entries are kept), and the sampling error of what it estimates.
 */

/** A seeded PRNG, so a run can be repeated (`--seed`). */
export { mulberry32 as seededRandom } from '../util/prng';

/** Every item has the same chance n / seen of being in `items` once the stream ends. */
export class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  constructor(private readonly size: number, private readonly random: () => number) {}
  offer(item: T): void {
    this.seen += 1;
    if (this.items.length < this.size) {
      this.items.push(item);
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < this.size) this.items[j] = item;
  }

  /**
   * The kept items in a random order (Fisher–Yates with the same generator), the order to HEAD them in. The slots
   * themselves are not in random order (early slots keep early items more often), so a run stopped part-way
   * through them would be biased toward the start of the listing; any prefix of this order is a uniform sample.
   */
  drawOrder(): T[] {
    const a = [...this.items];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [a[i], a[j]] = [a[j] as T, a[i] as T];
    }
    return a;
  }
}

export interface Interval {
  /** The point estimate. */
  estimate: number;
  /** 95% confidence interval (Wilson score, on the effective sample size after the finite population correction). */
  low: number;
  high: number;
  standardError: number;
}

const Z95 = 1.96;

/**
 * Wilson score interval for a share p seen in an effective sample of `n` (Wilson 1927; Brown, Cai & DasGupta 2001
 * recommend it over the plain normal interval, whose coverage for rare events is far below 95% and which is
 * 0–0 when nothing was found). With 0 found the upper bound is z²/(n+z²) ≈ 3.8/n, not 0.
 */
function wilson(p: number, n: number): { low: number; high: number } {
  if (!Number.isFinite(n)) return { low: p, high: p };
  const z2 = Z95 * Z95;
  const d = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / d;
  const half = (Z95 / d) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** (N−n)/(N−1): sampling without replacement; 0 when the sample is the population (then there is no error). */
const fpcOf = (sampled: number, population: number) => (population > 1 ? Math.max(0, (population - sampled) / (population - 1)) : 0);

/**
 * Plaintext share of a population of `population` objects from `sampled` of them drawn without replacement, of which
 * `plaintext` were plaintext: the Wilson interval on the effective sample size n / fpc, fpc = (N−n)/(N−1).
 */
export function proportionInterval(plaintext: number, sampled: number, population: number): Interval {
  if (sampled === 0) return { estimate: 0, low: 0, high: 1, standardError: Number.NaN };
  const p = plaintext / sampled;
  const fpc = fpcOf(sampled, population);
  const se = Math.sqrt(((p * (1 - p)) / sampled) * fpc);
  return { estimate: p, ...wilson(p, fpc > 0 ? sampled / fpc : Infinity), standardError: se };
}

/**
 * Plaintext share of the bytes, a ratio estimator R = Σ plaintext sizes / Σ sizes over the sample, with its
 * linearised standard error √((1−f)/n · Σ(yᵢ − R·xᵢ)²/(n−1)) / x̄ (Cochran, Sampling Techniques, §6.3). The interval is
 * the Wilson form on the effective sample size R(1−R)/se²; when the sample holds no plaintext bytes (or only
 * plaintext) that is undefined, and the object count's effective size is used (assumes plaintext objects are
 * sized like the rest), so the bound is still above 0.
 */
export function byteShareInterval(sample: Array<{ size: number; plaintext: boolean }>, population: number): Interval {
  const n = sample.length;
  const sumX = sample.reduce((s, o) => s + o.size, 0);
  if (n === 0 || sumX === 0) return { estimate: 0, low: 0, high: 1, standardError: Number.NaN };
  const r = sample.reduce((s, o) => s + (o.plaintext ? o.size : 0), 0) / sumX;
  if (n === 1) return { estimate: r, low: 0, high: 1, standardError: Number.NaN };
  const f = population > 0 ? n / population : 1;
  const resid = sample.reduce((s, o) => s + ((o.plaintext ? o.size : 0) - r * o.size) ** 2, 0) / (n - 1);
  const se = Math.sqrt(((1 - f) / n) * resid) / (sumX / n);
  const fpc = fpcOf(n, population);
  const objectN = fpc > 0 ? n / fpc : Infinity;
  const effective = se > 0 ? (r * (1 - r)) / (se * se) : objectN;
  return { estimate: r, ...wilson(r, effective), standardError: se };
}
