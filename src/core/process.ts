/** Many objects with bounded concurrency → one summary. Each object gets its own outcome; none aborts the others. */
import type { ObjectRef } from '../event/parse';
import { encryptObject, type EncryptDeps, type ObjectResult } from './encrypt';
import { mapLimit } from './pool';

export interface InvocationSummary {
  requestId?: string;
  total: number;
  encrypted: number;
  skipped: number;
  failed: number;
  results: ObjectResult[];
}

export interface ProcessDeps extends EncryptDeps {
  /** Defaults to policy.concurrency. */
  concurrency?: number;
  requestId?: string;
}

export function summarize(results: ObjectResult[], requestId?: string): InvocationSummary {
  const count = (o: ObjectResult['outcome']) => results.filter((r) => r.outcome === o).length;
  return {
    ...(requestId !== undefined ? { requestId } : {}),
    total: results.length,
    encrypted: count('encrypted'),
    skipped: count('skipped'),
    failed: count('failed'),
    results,
  };
}

export async function processObjects(refs: ObjectRef[], deps: ProcessDeps): Promise<InvocationSummary> {
  const results = await mapLimit(refs, deps.concurrency ?? deps.policy.concurrency, (ref) => encryptObject(ref, deps));
  return summarize(results, deps.requestId);
}
