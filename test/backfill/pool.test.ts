import { runPool } from '../../src/backfill/pool';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function* numbers(n: number, pulled: number[]): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    pulled.push(i);
    yield i;
  }
}

describe('runPool', () => {
  it('never runs more than the limit at once and processes every item once', async () => {
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    const pulled: number[] = [];
    const res = await runPool(numbers(50, pulled), async (i) => {
      active += 1;
      peak = Math.max(peak, active);
      await tick(1 + (i % 3));
      seen.push(i);
      active -= 1;
    }, { concurrency: () => 5 });
    expect(res).toEqual({ exhausted: true, started: 50 });
    expect(peak).toBe(5);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });

  it('pulls lazily: the source is read only as slots free up', async () => {
    const pulled: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = runPool(numbers(100, pulled), async () => gate, { concurrency: () => 3 });
    await tick(10);
    expect(pulled.length).toBe(3);
    release();
    await run;
    expect(pulled.length).toBe(100);
  });

  it('loses no wake-up when items finish while the source is being read', async () => {
    // Instant workers finish during the pool's own awaits (the source's next()); a lost wake-up would hang here.
    async function* slowSource(n: number): AsyncGenerator<number> {
      for (let i = 0; i < n; i++) {
        if (i % 7 === 0) await tick(1);
        yield i;
      }
    }
    let done = 0;
    const res = await runPool(slowSource(500), async (i) => {
      if (i % 2 === 0) await tick(0);
      done += 1;
    }, { concurrency: () => 4 });
    expect(res).toEqual({ exhausted: true, started: 500 });
    expect(done).toBe(500);
  });

  it('follows a changing limit', async () => {
    let limit = 8;
    let active = 0;
    const peaks: number[] = [];
    await runPool(numbers(40, []), async (i) => {
      active += 1;
      peaks.push(active);
      if (i === 10) limit = 2;
      await tick(2);
      active -= 1;
    }, { concurrency: () => limit });
    expect(Math.max(...peaks.slice(0, 10))).toBe(8);
    expect(Math.max(...peaks.slice(-10))).toBeLessThanOrEqual(2);
  });

  it('stops starting items on abort and waits for those in flight', async () => {
    const ac = new AbortController();
    const finished: number[] = [];
    const res = await runPool(numbers(100, []), async (i) => {
      if (i === 9) ac.abort();
      await tick(5);
      finished.push(i);
    }, { concurrency: () => 4, signal: ac.signal });
    expect(res.exhausted).toBe(false);
    expect(finished.length).toBe(res.started);
    expect(res.started).toBeLessThan(14);
  });

  it('rethrows a worker error after the others settle', async () => {
    await expect(
      runPool(numbers(10, []), async (i) => {
        if (i === 3) throw new Error('boom');
        await tick(1);
      }, { concurrency: () => 2 }),
    ).rejects.toThrow('boom');
  });
});

describe('runPool when the source fails', () => {
  it('lets the started items finish before rethrowing the source error', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      await tick(5);
      throw new Error('listing failed');
    }
    const finished: number[] = [];
    await expect(
      runPool(failing(), async (i) => {
        await tick(30);
        finished.push(i);
      }, { concurrency: () => 4 }),
    ).rejects.toThrow('listing failed');
    expect(finished.sort()).toEqual([1, 2]);
  });
});
