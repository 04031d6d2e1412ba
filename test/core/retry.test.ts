import { backoffDelay, withRetry } from '../../src/core/retry';

const noSleep = { sleep: async () => {}, random: () => 1 };

describe('withRetry', () => {
  it('retries retryable errors up to maxAttempts, then throws the last error', async () => {
    let calls = 0;
    const seen: number[] = [];
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error(`fail ${calls}`);
        },
        { isRetryable: () => true, onRetry: (_e, attempt) => seen.push(attempt) },
        { maxAttempts: 3, ...noSleep },
      ),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
    expect(seen).toEqual([1, 2]);
  });

  it('does not retry permanent errors', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('AccessDenied');
        },
        { isRetryable: () => false },
        { maxAttempts: 5, ...noSleep },
      ),
    ).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
  });

  it('returns the first success', async () => {
    let calls = 0;
    const v = await withRetry(async () => (++calls < 3 ? Promise.reject(new Error('x')) : 'ok'), { isRetryable: () => true }, { maxAttempts: 5, ...noSleep });
    expect(v).toBe('ok');
    expect(calls).toBe(3);
  });

  it('stops when the signal is aborted', async () => {
    const ac = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          ac.abort();
          throw new Error('x');
        },
        { isRetryable: () => true, signal: ac.signal },
        { maxAttempts: 5, ...noSleep },
      ),
    ).rejects.toThrow('x');
    expect(calls).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and is jittered below the ceiling', () => {
    const top = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, top))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(3, { baseDelayMs: 100, random: () => 0 })).toBe(0);
  });
});
