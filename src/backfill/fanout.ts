/**
 * Fan-out: instead of copying locally, send keys in batches to the deployed function as multi-record
 * OSS events (the function already processes every record of `events[]`), with asynchronous
 * invocations so Function Compute queues them and spreads the work across instances.
 *
 * Records follow the OSS trigger format (oss-api.md §3). eventName is `ObjectCreated:PutObject`, the
 * most neutral creation event; `ruleId` marks the record as coming from this backfill. An eTag is
 * sent only for inventory rows (the object the inventory described); from a listing the function HEADs and
 * encrypts whatever the current object is. UNCONFIRMED: FC's async payload limit (128 KB as far as we know), so a batch is
 * also cut when its JSON would exceed `maxBytes` (default 120 000).
 */
import type { FcInvoker } from '../remote/fc-invoker';
import { FcRequestError, RemoteConfigError } from '../remote/errors';
import { FanoutError } from './errors';

export const BACKFILL_RULE_ID = 'oss-auto-encrypt-backfill';

export interface FanoutTarget {
  invoker: FcInvoker;
  functionName: string;
  region: string;
  accountId: string;
  /** Records per event; default 100. */
  batchSize?: number;
  maxBytes?: number;
}

export interface FanoutKey {
  key: string;
  size?: number;
  /** From an inventory: the function skips the object as replaced if its ETag is no longer this one. */
  eTag?: string;
}

export function buildEvent(bucket: string, keys: FanoutKey[], t: { region: string; accountId: string }, now = new Date()): { events: unknown[] } {
  const eventTime = now.toISOString();
  return {
    events: keys.map((k) => ({
      eventName: 'ObjectCreated:PutObject',
      eventSource: 'acs:oss',
      eventTime,
      eventVersion: '1.0',
      oss: {
        bucket: { arn: `acs:oss:${t.region}:${t.accountId}:${bucket}`, name: bucket, ownerIdentity: t.accountId },
        object: { key: k.key, ...(k.size !== undefined ? { size: k.size } : {}), ...(k.eTag ? { eTag: k.eTag } : {}) },
        ossSchemaVersion: '1.0',
        ruleId: BACKFILL_RULE_ID,
      },
      region: t.region,
      userIdentity: { principalId: t.accountId },
    })),
  };
}

/**
 * Groups a key stream into batches bounded by count and by serialized size; each batch keeps the
 * items it came from (for checkpoint bookkeeping).
 */
export async function* batches<T extends FanoutKey>(source: AsyncIterable<T>, size: number, maxKeyBytes: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  let bytes = 0;
  for await (const item of source) {
    // ~520 bytes of fixed record JSON plus the key (escaped, up to 6× for control characters).
    const b = 520 + Buffer.byteLength(JSON.stringify(item.key));
    if (batch.length > 0 && (batch.length >= size || bytes + b > maxKeyBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += b;
  }
  if (batch.length > 0) yield batch;
}

/** Sends one batch; resolves with FC's request id once the async invocation is accepted. */
export async function sendBatch(target: FanoutTarget, bucket: string, keys: FanoutKey[]): Promise<string | undefined> {
  const body = JSON.stringify(buildEvent(bucket, keys, target));
  let res;
  try {
    res = await target.invoker.invoke(target.functionName, body, { async: true });
  } catch (err) {
    throw new FanoutError(target.functionName, keys.length, err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (res.errorType) throw new FanoutError(target.functionName, keys.length, `FC answered ${res.errorType}: ${res.payload.slice(0, 500)}`);
  if (res.status !== 202 && res.status !== 200) throw new FanoutError(target.functionName, keys.length, `unexpected HTTP ${res.status}`);
  return res.requestId;
}

/**
 * What a failed send means for the run:
 * - `target`: the function, its name or the credentials are wrong; retrying cannot help (no retry, exit 2);
 * - `throttled`: FC asks us to slow down (HTTP 429; codes such as ResourceThrottled / ResourceExhausted,
 *   UNCONFIRMED beyond "429 = throttled", function-compute.md §2): retried, and the pool is halved as for OSS 503;
 * - `transient`: anything else (5xx, unreachable endpoint): retried with backoff.
 */
export function classifyFanoutError(err: unknown): 'target' | 'throttled' | 'transient' {
  const cause = err instanceof FanoutError ? err.cause : err;
  if (cause instanceof RemoteConfigError) return 'target';
  if (cause instanceof FcRequestError) {
    if (/Throttl|TooManyRequests|ResourceExhausted|HTTP429/i.test(cause.fcCode)) return 'throttled';
    if (/NotFound|Signature|AccessKey|SecurityToken|AccountID|Forbidden|AccessDenied|InvalidArgument|Unauthorized|MissingAuthorization/i.test(cause.fcCode)) return 'target';
  }
  return 'transient';
}
