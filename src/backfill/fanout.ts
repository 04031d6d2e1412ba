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
import { FcRequestError, FcTimeoutError, RemoteConfigError } from '../remote/errors';
import { FanoutError } from './errors';

export const BACKFILL_RULE_ID = 'oss-auto-encrypt-backfill';

/**
 * How long one async invocation may take to be accepted. FC answers an async invocation as soon as it has queued
 * the event (milliseconds, function-compute.md), so the invoker's 120 s default (sized for synchronous calls that
 * wait for the function) would only hold an unresponsive endpoint for minutes.
 */
export const FANOUT_TIMEOUT_MS = 10_000;
/** An invocation unanswered this long is reported (onStall), as an OSS request is. */
export const FANOUT_STALL_MS = 5_000;

export interface FanoutTarget {
  invoker: FcInvoker;
  functionName: string;
  region: string;
  accountId: string;
  /** Records per event; default 100. */
  batchSize?: number;
  maxBytes?: number;
  /** Where FC is called and the invoker's timeout, for the stall warning and errors only. */
  endpoint?: string;
  timeoutMs?: number;
}

export interface SendOptions {
  /** Stops waiting for the invocation (fc2 cannot cancel its request: it is abandoned, its outcome unknown). */
  signal?: AbortSignal;
  onStall?: (info: { operation: string; endpoint: string; waitedMs: number; timeoutMs: number }) => void;
  stallMs?: number;
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
export async function sendBatch(target: FanoutTarget, bucket: string, keys: FanoutKey[], o: SendOptions = {}): Promise<string | undefined> {
  const body = JSON.stringify(buildEvent(bucket, keys, target));
  let res;
  try {
    res = await abandonable(() => target.invoker.invoke(target.functionName, body, { async: true }), target, o);
  } catch (err) {
    const detail = err instanceof FcTimeoutError
      ? `Function Compute at ${err.endpoint} did not accept the asynchronous invocation within ${Math.round(err.timeoutMs / 1000)} s (it is normally accepted in well under a second); check --fc-endpoint, --region, --account-id and the network`
      : err instanceof Error ? err.message : String(err);
    throw new FanoutError(target.functionName, keys.length, detail, { cause: err });
  }
  if (res.errorType) throw new FanoutError(target.functionName, keys.length, `FC answered ${res.errorType}: ${res.payload.slice(0, 500)}`);
  if (res.status !== 202 && res.status !== 200) throw new FanoutError(target.functionName, keys.length, `unexpected HTTP ${res.status}`);
  return res.requestId;
}

/**
 * The invocation's outcome; says when it stalls. After the signal, an invocation unanswered for `stallMs` is
 * abandoned (rejected with the signal's reason; fc2's request runs on, unheard), as the OSS gateway cuts its
 * requests: one that answers sooner is waited for, so a batch FC accepted is not sent twice.
 */
function abandonable<T>(invoke: () => Promise<T>, target: FanoutTarget, o: SendOptions): Promise<T> {
  const { signal } = o;
  if (signal?.aborted) return Promise.reject(signal.reason); // not sent at all
  const invocation = invoke();
  invocation.catch(() => undefined); // an abandoned invocation's late failure is nobody's
  const startedAt = Date.now();
  const stallMs = o.stallMs ?? FANOUT_STALL_MS;
  return new Promise<T>((resolve, reject) => {
    const stall = o.onStall
      ? setTimeout(() => o.onStall?.({ operation: 'InvokeFunction', endpoint: target.endpoint ?? 'Function Compute', waitedMs: stallMs, timeoutMs: target.timeoutMs ?? FANOUT_TIMEOUT_MS }), stallMs)
      : undefined;
    let cut: NodeJS.Timeout | undefined;
    const onAbort = () => {
      cut = setTimeout(() => reject(signal?.reason), Math.max(0, startedAt + stallMs - Date.now()));
    };
    if (signal?.aborted) onAbort(); // aborted while the request was being made
    else signal?.addEventListener('abort', onAbort, { once: true });
    invocation.then(resolve, reject).finally(() => {
      clearTimeout(stall);
      clearTimeout(cut);
      signal?.removeEventListener('abort', onAbort);
    });
  });
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
