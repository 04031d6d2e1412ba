import { RateMeter, formatDuration, renderBar, renderLine, renderSummary, type ProgressSnapshot } from '../../src/backfill/progress';

const snap = (over: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  seen: 420, encrypted: 300, skipped: 100, failed: 2, dispatched: 0, finishedThisRun: 402, elapsedMs: 65_000,
  rate: 123.4, concurrency: 64, throttled: 0, retries: 0, done: false, ...over,
});

describe('progress rendering', () => {
  it('formats durations', () => {
    expect(formatDuration(4_400)).toBe('4s');
    expect(formatDuration(65_000)).toBe('1m05s');
    expect(formatDuration(3_725_000)).toBe('1h02m');
  });

  it('draws a bar with percentage and ETA once the total is known', () => {
    expect(renderBar(snap({ total: 1000, etaMs: 5_000 }), 10)).toBe('[####......]  40%  seen 420/1000  encrypted 300  skipped 100  failed 2  123/s  ETA 5s');
  });

  it('without a total: counts and rate only; throttling shows the pool size', () => {
    expect(renderBar(snap({ throttled: 3, concurrency: 16 }))).toBe('seen 420  encrypted 300  skipped 100  failed 2  123/s  throttled 3 (pool 16)');
    expect(renderLine(snap())).toBe('backfill: 1m05s seen 420  encrypted 300  skipped 100  failed 2  123/s');
  });

  it('fan-out counts dispatched keys', () => {
    expect(renderLine(snap({ encrypted: 0, skipped: 0, failed: 0, dispatched: 400, total: 500 }))).toBe('backfill: 1m05s seen 420  dispatched 400  failed 0 of 500  123/s');
  });

  it('summarises, pointing at the checkpoint when stopped', () => {
    const s = renderSummary(snap({ done: true }), { aborted: true, checkpointFile: 'cp.json', reportFile: 'r.csv' });
    expect(s).toBe(
      'backfill stopped in 1m05s: seen 420  encrypted 300  skipped 100  failed 2\n' +
        '  402 objects this run, 6.2/s; throttling answers 0, retries 0\n' +
        '  report: r.csv\n' +
        '  checkpoint: cp.json (run the same command again to resume)',
    );
  });

  it('measures the rate over a sliding window', () => {
    const m = new RateMeter(1000);
    let n = 0;
    for (let t = 0; t <= 2000; t += 250) m.record(t, (n += 25)); // 100/s
    expect(m.rate()).toBe(100);
    for (let t = 2250; t <= 4000; t += 250) m.record(t, (n += 5)); // slowed to 20/s: old samples leave the window
    expect(m.rate()).toBe(20);
  });
});
