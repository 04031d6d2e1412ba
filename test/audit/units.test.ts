/** Pure pieces of the audit: prefix grouping, the ratio estimate, sampling and its error, cost per object, widths. */
import { prefixOf } from '../../src/audit/prefix';
import { CoverageAccumulator } from '../../src/audit/aggregate';
import { Reservoir, byteShareInterval, proportionInterval, seededRandom } from '../../src/audit/sample';
import { copyRequestsFor, estimateBackfill } from '../../src/audit/estimate';
import { displayWidth, renderAuditProgress } from '../../src/audit/render-text';
import { formatBytes } from '../../src/audit/format';

describe('prefixOf', () => {
  it.each([
    ['top.txt', 1, ''],
    ['a/b.txt', 1, 'a/'],
    ['a/b/c.txt', 1, 'a/'],
    ['a/b/c.txt', 2, 'a/b/'],
    ['a/b.txt', 2, 'a/'],
    ['a/b/', 1, 'a/'],
    ['a/b/', 2, 'a/b/'],
    ['/lead', 1, '/'],
    ['x/y', 0, ''],
  ])('%s at depth %i → %s', (key, depth, want) => expect(prefixOf(key, depth)).toBe(want));
});

describe('CoverageAccumulator', () => {
  it('every object observed: exact figures, largest plaintext first', () => {
    const a = new CoverageAccumulator(1);
    const objs = [
      { key: 'a/1', size: 10, storageClass: 'Standard', state: 'plaintext' as const },
      { key: 'a/2', size: 30, storageClass: 'IA', state: 'encrypted' as const },
      { key: 'b/1', size: 100, storageClass: 'Standard', state: 'plaintext' as const },
    ];
    for (const o of objs) {
      a.count(o);
      a.observe(o, { state: o.state });
    }
    const r = a.result();
    expect(r.totals).toMatchObject({ objects: 3, bytes: 140, plaintextObjects: 2, plaintextBytes: 110, encryptedObjects: 1, encryptedBytes: 30, unknownObjects: 0, exact: true });
    expect(r.byPrefix.map((p) => [p.name, p.plaintextBytes])).toEqual([['b/', 100], ['a/', 10]]);
    expect(r.byAlgorithm).toBeNull(); // nothing said which algorithm
  });

  it('a sample: each group\'s observed shares applied to its counted totals; unsampled groups are unknown', () => {
    const a = new CoverageAccumulator(1);
    for (let i = 0; i < 100; i++) a.count({ key: `a/${i}`, size: 10, storageClass: 'Standard' });
    for (let i = 0; i < 10; i++) a.count({ key: `b/${i}`, size: 5, storageClass: 'Standard' });
    // 4 of a/ observed: 1 plaintext, 3 encrypted; none of b/.
    a.observe({ key: 'a/0', size: 10, storageClass: 'Standard' }, { state: 'plaintext' });
    for (let i = 1; i < 4; i++) a.observe({ key: `a/${i}`, size: 10, storageClass: 'Standard' }, { state: 'encrypted', algorithm: 'AES256' });
    const r = a.result();
    expect(r.byPrefix.find((p) => p.name === 'a/')).toMatchObject({ objects: 100, plaintextObjects: 25, encryptedObjects: 75, plaintextBytes: 250, exact: false });
    // b/ had no object sampled: it gets the overall shares, so the prefix table adds up to the totals.
    expect(r.totals).toMatchObject({ objects: 110, encryptedObjects: 83, plaintextObjects: 27, unknownObjects: 0 });
    expect(r.byPrefix.find((p) => p.name === 'b/')).toMatchObject({ objects: 10, plaintextObjects: 2, encryptedObjects: 8, unknownObjects: 0 });
    // Algorithms are scaled like the totals (110 / 4).
    expect(r.byAlgorithm?.find((x) => x.name === 'AES256')?.objects).toBe(Math.round(3 * 110 / 4));
  });

  it('sampled estimates are whole numbers that add up: parts to the whole, groups to the totals', () => {
    // 5 objects, 2 sampled (1 encrypted, 1 plaintext): 2.5 + 2.5 must not round to 3 + 3.
    const small = new CoverageAccumulator(1);
    for (let i = 0; i < 5; i++) small.count({ key: `k${i}`, size: 7, storageClass: 'Standard' });
    small.observe({ key: 'k0', size: 7, storageClass: 'Standard' }, { state: 'encrypted' });
    small.observe({ key: 'k1', size: 7, storageClass: 'Standard' }, { state: 'plaintext' });
    const t = small.result().totals;
    expect(t.encryptedObjects + t.plaintextObjects + t.unknownObjects).toBe(5);
    expect(t.encryptedBytes + t.plaintextBytes + t.unknownBytes).toBe(35);

    // Many groups, two breakdowns, a sample with a failed HEAD: every column of each table adds to the totals.
    const a = new CoverageAccumulator(1);
    const rand = seededRandom(5);
    const objs = Array.from({ length: 997 }, (_, i) => ({ key: `p${i % 7}/${i}`, size: 1 + Math.floor(rand() * 5000), storageClass: ['Standard', 'IA', 'Archive'][i % 3] as string }));
    for (const o of objs) a.count(o);
    objs.filter((_, i) => i % 13 === 0).forEach((o, i) => a.observe(o, { state: i % 17 === 0 ? 'unknown' : rand() < 0.3 ? 'plaintext' : 'encrypted' }));
    const r = a.result();
    const fields = ['objects', 'bytes', 'encryptedObjects', 'plaintextObjects', 'unknownObjects', 'encryptedBytes', 'plaintextBytes', 'unknownBytes'] as const;
    for (const table of [r.byPrefix, r.byStorageClass]) {
      for (const f of fields) expect(table.reduce((s, x) => s + x[f], 0)).toBe(r.totals[f]);
      for (const x of table) {
        expect(x.encryptedObjects + x.plaintextObjects + x.unknownObjects).toBe(x.objects);
        expect(x.encryptedBytes + x.plaintextBytes + x.unknownBytes).toBe(x.bytes);
        expect(Math.min(x.encryptedObjects, x.plaintextObjects, x.encryptedBytes, x.plaintextBytes)).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('counts multipart copies for the plaintext part and scales them from a sample', () => {
    const perObject = copyRequestsFor({ multipartThresholdBytes: 100, multipartPartBytes: 40 });
    expect([perObject(100), perObject(101), perObject(200)]).toEqual([1, 2 + 3, 2 + 5]);
    const a = new CoverageAccumulator(1, perObject);
    for (let i = 0; i < 4; i++) a.count({ key: `k${i}`, size: 200, storageClass: 'Standard' });
    a.observe({ key: 'k0', size: 200, storageClass: 'Standard' }, { state: 'plaintext' });
    a.observe({ key: 'k1', size: 200, storageClass: 'Standard' }, { state: 'encrypted' });
    expect(a.copyRequests()).toBe(14);
  });
});

describe('sampling', () => {
  it('the reservoir draws uniformly: every position about equally often over many seeded draws', () => {
    const hits = new Array(20).fill(0) as number[];
    for (let seed = 1; seed <= 4000; seed++) {
      const r = new Reservoir<number>(5, seededRandom(seed));
      for (let i = 0; i < 20; i++) r.offer(i);
      for (const x of r.items) hits[x] = (hits[x] as number) + 1;
    }
    // Expected 1000 each (4000 × 5/20); a binomial sd is ~27, so 150 is > 5 sd.
    for (const h of hits) expect(Math.abs(h - 1000)).toBeLessThan(150);
  });

  it('any prefix of the draw order is uniform: the first item drawn is every listing position about equally often', () => {
    const first = new Array(20).fill(0) as number[];
    for (let seed = 1; seed <= 4000; seed++) {
      const r = new Reservoir<number>(5, seededRandom(seed));
      for (let i = 0; i < 20; i++) r.offer(i);
      const order = r.drawOrder();
      expect([...order].sort((a, b) => a - b)).toEqual([...r.items].sort((a, b) => a - b));
      first[order[0] as number] += 1;
    }
    // Expected 200 each (4000 / 20); a binomial sd is ~14, so 75 is > 5 sd. Slot order gives item 0 ~3.5× that.
    for (const h of first) expect(Math.abs(h - 200)).toBeLessThan(75);
  });

  it('proportion interval: finite population correction, zero error when the sample is the population', () => {
    const i = proportionInterval(10, 100, 1_000_000);
    expect(i.estimate).toBe(0.1);
    expect(i.standardError).toBeCloseTo(Math.sqrt(0.09 / 100), 4);
    // Wilson score interval for 10 of 100 (published value 5.52%–17.44%; the normal one would be 4.1%–15.9%).
    expect(i.low).toBeCloseTo(0.0552, 3);
    expect(i.high).toBeCloseTo(0.1744, 3);
    const all = proportionInterval(10, 100, 100);
    expect([all.standardError, all.low, all.high]).toEqual([0, 0.1, 0.1]);
  });

  it('no plaintext in the sample: the upper bound is about 3.8/n, not 0 (object and byte shares)', () => {
    const none = proportionInterval(0, 100, 1_000_000);
    expect(none.low).toBe(0);
    expect(none.high).toBeGreaterThan(0.03);
    expect(none.high).toBeLessThan(0.05);
    const bytes = byteShareInterval(Array.from({ length: 100 }, (_, k) => ({ size: 10 + k, plaintext: false })), 1_000_000);
    expect(bytes.estimate).toBe(0);
    expect(bytes.high).toBeGreaterThan(0.03);
  });

  it('the interval covers a rare plaintext share about 95% of the time (1% plaintext, samples of 100)', () => {
    const rand = seededRandom(42);
    let covered = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      let k = 0;
      for (let i = 0; i < 100; i++) if (rand() < 0.01) k += 1;
      const i = proportionInterval(k, 100, 10_000_000);
      if (i.low <= 0.01 && 0.01 <= i.high) covered += 1;
    }
    // The normal approximation covers ~63% here (it is 0–0 whenever k = 0); Wilson ~92%+.
    expect(covered / trials).toBeGreaterThan(0.9);
  });

  it('byte share: the ratio estimator and its error', () => {
    const sample = [{ size: 100, plaintext: true }, { size: 300, plaintext: false }, { size: 100, plaintext: false }, { size: 500, plaintext: true }];
    const i = byteShareInterval(sample, 1_000_000);
    expect(i.estimate).toBeCloseTo(0.6, 10);
    const r = 0.6;
    const resid = sample.reduce((s, o) => s + ((o.plaintext ? o.size : 0) - r * o.size) ** 2, 0) / 3;
    expect(i.standardError).toBeCloseTo(Math.sqrt(((1 - 4 / 1_000_000) / 4) * resid) / 250, 10);
  });
});

describe('estimate and rendering helpers', () => {
  it('the backfill estimate: requests from an inventory and from a listing, time from the round trip', () => {
    const e = estimateBackfill({ objects: 2000, plaintextObjects: 200, encryptedObjects: 1800, copyRequests: 200 }, { policy: { preserveAcl: true, concurrency: 8 }, roundTripMs: 10, concurrency: 64, fanout: { batchSize: 100, instances: 100 } });
    expect(e.fromInventory).toEqual({ requests: 600, perObject: 0.3 });
    expect(e.fromListing).toEqual({ requests: 2 + 2000 + 200 + 200, perObject: 1.201 });
    expect(e.local).toEqual({ concurrency: 64, seconds: (4 * 30) / 1000 });
    expect(e.fanout).toMatchObject({ invocations: 2, seconds: (13 * 30) / 1000 });
  });

  it('terminal width counts CJK as two columns; byte sizes in binary units', () => {
    expect(displayWidth('数据/')).toBe(5);
    expect(displayWidth('abc')).toBe(3);
    expect([formatBytes(999), formatBytes(2048), formatBytes(5 * 2 ** 30)]).toEqual(['999 B', '2.00 KiB', '5.00 GiB']);
  });
});

describe('progress lines', () => {
  it('a bar with a total (inventory rows, sampled HEADs), counts while a listing runs', () => {
    const base = { rate: 1234, elapsedMs: 1000, done: false };
    expect(renderAuditProgress({ ...base, phase: 'inventory', listed: 500, headed: 0, total: 1000 })).toBe('[############............]  50%  inventory rows 500/1,000  1234/s');
    expect(renderAuditProgress({ ...base, phase: 'listing', listed: 3000, headed: 2936 })).toBe('audit: listed 3,000, HEADed 2,936  1234/s');
    expect(renderAuditProgress({ ...base, phase: 'head', listed: 10_000, headed: 250, total: 1000 })).toBe('[######..................]  25%  HEADed 250/1,000 sampled of 10,000 listed  1234/s');
  });
});
