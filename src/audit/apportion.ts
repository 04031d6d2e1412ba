/**
 * Whole numbers that add up: a sampled estimate is fractional (2.5 encrypted + 2.5 plaintext of 5 objects), and
 * rounding each part on its own gives 3 + 3 of 5. These helpers round so the parts add to the whole, and so a
 * breakdown's groups add to the totals.
 */

/** Largest-remainder (Hamilton) rounding: non-negative integers proportional to `weights` that sum to `total`. */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((s, w) => s + Math.max(0, w), 0);
  if (sum <= 0 || total <= 0) return weights.map((_, i) => (i === weights.length - 1 ? Math.max(0, total) : 0));
  const exact = weights.map((w) => (Math.max(0, w) / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i] = (out[i] as number) + 1;
    left -= 1;
  }
  return out;
}

/**
 * A fractional table (rows = groups, columns = parts) fitted to given row and column sums (iterative proportional
 * fitting, which keeps each group's proportions as close as it can), then rounded to whole numbers whose rows and
 * columns add up exactly. Row sums must add to the same as column sums.
 */
export function fitTable(x: number[][], rowSums: number[], colSums: number[]): number[][] {
  const m = x.map((r) => r.map((v) => Math.max(0, v)));
  const cols = colSums.length;
  for (let iter = 0; iter < 100; iter++) {
    let off = 0;
    m.forEach((r, i) => {
      const s = r.reduce((a, b) => a + b, 0);
      const want = rowSums[i] as number;
      if (s > 0) r.forEach((v, j) => (r[j] = (v * want) / s));
    });
    for (let j = 0; j < cols; j++) {
      const s = m.reduce((a, r) => a + (r[j] as number), 0);
      const want = colSums[j] as number;
      off += Math.abs(s - want);
      if (s > 0) m.forEach((r) => (r[j] = ((r[j] as number) * want) / s));
    }
    if (off < 1e-6) break;
  }
  // Round down, then hand out the missing units to the cells with the largest remainders whose row and column
  // still miss one (then, if any are left, to any such cell, preferring ones that were non-zero).
  const out = m.map((r) => r.map(Math.floor));
  const rowLeft = rowSums.map((s, i) => s - (out[i] as number[]).reduce((a, b) => a + b, 0));
  const colLeft = colSums.map((s, j) => s - out.reduce((a, r) => a + (r[j] as number), 0));
  const cells: Array<[number, number, number]> = [];
  m.forEach((r, i) => r.forEach((v, j) => cells.push([v - Math.floor(v) + (v > 0 ? 1 : 0), i, j])));
  cells.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  let progress = true;
  while (progress) {
    progress = false;
    for (const [, i, j] of cells) {
      if ((rowLeft[i] as number) > 0 && (colLeft[j] as number) > 0) {
        (out[i] as number[])[j] = ((out[i] as number[])[j] as number) + 1;
        rowLeft[i] = (rowLeft[i] as number) - 1;
        colLeft[j] = (colLeft[j] as number) - 1;
        progress = true;
      }
    }
  }
  return out;
}
