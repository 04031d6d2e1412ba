/** Many objects with bounded concurrency → one summary. Each object gets its own outcome; none aborts the others. */
import type { ObjectRef } from '../event/parse';
import { SKIP_REASONS } from './decide';
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

/**
 * One key twice in one invocation: an exact repeat of a record is answered without a request (a batch may carry
 * the same upload twice); distinct records of one key run one after the other, never concurrently, so two
 * rewrites of one object never race each other. Different keys run in parallel up to the concurrency.
 */
export async function processObjects(refs: ObjectRef[], deps: ProcessDeps): Promise<InvocationSummary> {
  const results: ObjectResult[] = new Array(refs.length);
  const seen = new Set<string>();
  const byKey = new Map<string, number[]>();
  refs.forEach((ref, i) => {
    const record = JSON.stringify([ref.bucket, ref.key, ref.versionId ?? '', ref.eTag ?? '', ref.eventName ?? '']);
    if (seen.has(record)) {
      results[i] = duplicate(ref, deps);
      return;
    }
    seen.add(record);
    const object = JSON.stringify([ref.bucket, ref.key]);
    const indexes = byKey.get(object);
    if (indexes) indexes.push(i);
    else byKey.set(object, [i]);
  });
  await mapLimit([...byKey.values()], deps.concurrency ?? deps.policy.concurrency, async (indexes) => {
    for (const i of indexes) results[i] = await encryptObject(refs[i]!, deps);
  });
  return summarize(results, deps.requestId);
}

function duplicate(ref: ObjectRef, deps: ProcessDeps): ObjectResult {
  const result: ObjectResult = { bucket: ref.bucket, key: ref.key, outcome: 'skipped', reason: SKIP_REASONS.DUPLICATE_RECORD, durationMs: 0, requestIds: [] };
  deps.logger.info(result, `skipped: ${result.reason}`);
  return result;
}
