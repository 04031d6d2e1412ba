/**
 * Injected failures and latency, drawn from a seeded PRNG so a failing test or benchmark run can be replayed
 * exactly with the same seed.
 */
export interface FaultRule {
  op: string /* e.g. 'CopyObject', 'HeadObject', or '*' */;
  rate: number /* 0..1 */;
  kind: 'http500' | 'http503' | 'drop' /* destroy the socket without a response */ | 'slow'
    /** carry the operation out, then destroy the socket instead of answering: a response lost on the network */
    | 'drop-after';
  delayMs?: number;
  /** Hit at most this many times, then the rule stays inert (e.g. 1: only the first attempt's response is lost). */
  times?: number;
}

export { mulberry32 } from '../util/prng';
import { mulberry32 } from '../util/prng';

export class FaultInjector {
  private rules: Array<FaultRule & { hits: number }> = [];
  private random: () => number = mulberry32(1);
  latencyMs = 0;

  set(rules: FaultRule[], seed = 1): void {
    for (const r of rules) {
      if (!(r.rate >= 0 && r.rate <= 1)) throw new RangeError(`fault rate must be within 0..1, got ${r.rate} for op "${r.op}"`);
      if (!['http500', 'http503', 'drop', 'slow', 'drop-after'].includes(r.kind)) throw new RangeError(`unknown fault kind "${r.kind}"; use http500, http503, drop, slow or drop-after`);
    }
    this.rules = rules.map((r) => ({ ...r, hits: 0 }));
    this.random = mulberry32(seed);
  }
  clear(): void { this.rules = []; }

  /** The first matching rule whose dice roll hits, or undefined. One roll per matching rule, in rule order. */
  pick(op: string): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.op !== '*' && r.op !== op) continue;
      if (r.times !== undefined && r.hits >= r.times) continue;
      if (this.random() < r.rate) {
        r.hits++;
        const { hits: _hits, ...rule } = r;
        return rule;
      }
    }
    return undefined;
  }
}
