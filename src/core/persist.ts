/**
 * Steps after the point of no return (AbortMultipartUpload, undoing a copy that read the wrong version) get
 * CLEANUP_ROUNDS rounds of the gateway's own retries (test/resilience/fault-matrix.test.ts found one round leaving
 * orphaned uploads). `doneCodes`: an error that means the work is already done (an Abort whose earlier attempt
 * went through).
 */
import { OssOperationError } from '../errors';

const CLEANUP_ROUNDS = 3;

export async function persist<T>(fn: () => Promise<T>, doneCodes: string[] = []): Promise<T | { retriedRequestIds: string[]; alreadyDone: true }> {
  for (let round = 1; ; round++) {
    try {
      return await fn();
    } catch (err) {
      const e = err as OssOperationError;
      if (e instanceof OssOperationError && doneCodes.includes(e.ossCode)) return { retriedRequestIds: e.requestId ? [e.requestId] : [], alreadyDone: true };
      if (round >= CLEANUP_ROUNDS || !(e instanceof OssOperationError) || !e.retryable) throw err;
    }
  }
}
