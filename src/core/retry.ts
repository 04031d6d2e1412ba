/**
 * Bounded exponential backoff with full jitter. ali-oss itself retries only network errors and
 * only when retryMax is set (oss-api.md §4.5), so every OSS call goes through here instead.
 */
export interface RetryOptions {
  /** Total attempts including the first (default 4). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Source of randomness in [0,1); injectable so tests are deterministic. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RetryHooks {
  /** Whether `err` is worth another attempt. */
  isRetryable(err: unknown): boolean;
  /** Called before each re-attempt (for logging and request accounting). */
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
  signal?: AbortSignal;
}

export const RETRY_DEFAULTS = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 } as const;

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Delay before re-attempt `attempt` (1-based count of failures so far): random in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, opts: RetryOptions = {}): number {
  const base = opts.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const max = opts.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round((opts.random ?? Math.random)() * ceiling);
}

/** Runs `fn` until it succeeds, a non-retryable error occurs, or attempts run out (then the last error is thrown). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, hooks: RetryHooks, opts: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? RETRY_DEFAULTS.maxAttempts);
  const sleep = opts.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= maxAttempts || !hooks.isRetryable(err) || hooks.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, opts);
      hooks.onRetry?.(err, attempt, delay);
      await sleep(delay, hooks.signal);
    }
  }
}
