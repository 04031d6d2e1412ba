/**
 * mulberry32: a tiny seeded PRNG, so a run can be repeated with the same seed (the local OSS's fault draws, the
 * audit's `--seed`). Fast and good enough for sampling; not for anything cryptographic. Imports nothing, so both
 * the local OSS and the tools can use it without importing each other.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
