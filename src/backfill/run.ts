/**
 * The backfill core: source (listing or inventory) → bounded adaptive pool → the function's own
 * per-object core (`encryptObject`) or, with fan-out, batches sent to the deployed function → report
 * row + checkpoint. It never prints: the CLI renders `onProgress` snapshots and the returned summary.
 *
 * Stopping: `signal` stops new work; objects already started run to their end (each is one HEAD and
 * one copy, and cutting a copy short would only make the resumed run redo it), then the checkpoint
 * and report are flushed. A hard kill at any moment is safe too: see checkpoint.ts.
 */
import { createOssGateway, type OssCredentials, type OssGateway, type ListedObject } from '../oss/gateway';
import { encryptObject, type ObjectResult } from '../core/encrypt';
import { withRetry } from '../core/retry';
import type { Policy } from '../config';
import type { Logger } from '../log';
import type { OssOperationError } from '../errors';
import { AdaptiveLimiter } from './limiter';
import { runPool } from './pool';
import { OrderedCompletion } from './progress-tracker';
import {
  CHECKPOINT_VERSION,
  CheckpointWriter,
  assertResumable,
  readCheckpoint,
  type CheckpointState,
  type Counts,
  type SourceId,
} from './checkpoint';
import { ReportWriter, type ReportFormat, type ReportRow } from './report';
import { RateMeter, type ProgressSnapshot } from './progress';
import { listObjects } from './lister';
import { manifestItems, openManifest, type InventoryManifest } from './manifest';
import { batches, sendBatch, type FanoutTarget } from './fanout';
import { BackfillOptionsError, FanoutError } from './errors';

/**
 * Objects in flight by default. Each object costs 2–3 sequential requests of a few ms to tens of ms
 * (network bound, not CPU bound), so the pool is sized for latency: 64 in flight at 10 ms per
 * request is ~2 000 objects/s, about what one Node process can drive.
 */
export const DEFAULT_CONCURRENCY = 64;
export const MAX_CONCURRENCY = 1000;

export interface BackfillOptions {
  bucket: string;
  /** Only keys under this prefix (listing mode). */
  prefix?: string;
  /** Where and as whom to call OSS (the gateway is built here so throttling can be observed). */
  connection: { region: string; endpoint?: string; credentials: OssCredentials };
  /** The function's policy (loadPolicy(process.env)): the same decisions as the trigger. */
  policy: Policy;
  logger: Logger;
  concurrency?: number;
  /** Decide and report, change nothing (same as DRY_RUN=true). */
  dryRun?: boolean;
  checkpointFile?: string;
  reportFile?: string;
  reportFormat?: ReportFormat;
  /** OSS inventory manifest.json to read keys from instead of listing. */
  manifestFile?: string;
  /** Send keys to the deployed function instead of copying here. */
  fanout?: FanoutTarget;
  signal?: AbortSignal;
  onProgress?: (p: ProgressSnapshot) => void;
  progressIntervalMs?: number;
  checkpointIntervalMs?: number;
  /** ListObjectsV2 page size (max 1000). */
  pageSize?: number;
}

export interface BackfillSummary extends ProgressSnapshot {
  /** Stopped by the signal before the source was exhausted. */
  aborted: boolean;
  /** Every object of the source is finished (possibly over several runs). */
  complete: boolean;
  /** Continued from an existing checkpoint. */
  resumed: boolean;
  dryRun: boolean;
  mode: 'local' | 'fanout';
  /** The smallest pool size the adaptive limiter went down to (equals the concurrency when never throttled). */
  lowestConcurrency: number;
}

interface Item {
  ordinal: number;
  key: string;
  size?: number;
}

/** 503 / SlowDown-style answers: the service asks us to slow down. Other retryable errors (500, resets) are retried but do not shrink the pool. */
export function isThrottling(err: Pick<OssOperationError, 'status' | 'ossCode'>): boolean {
  return err.status === 503 || err.status === 429 || /SlowDown|ServiceUnavailable|Throttl|TooManyRequests|QpsLimitExceeded/i.test(err.ossCode);
}

function validate(o: BackfillOptions): void {
  const p: string[] = [];
  if (!o.bucket) p.push('a bucket is required (--bucket NAME)');
  else if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(o.bucket)) p.push(`bucket "${o.bucket}" is not a valid OSS bucket name (3–63 lowercase letters, digits and '-')`);
  const c = o.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(c) || c < 1 || c > MAX_CONCURRENCY) p.push(`concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${o.concurrency}`);
  if (o.manifestFile && o.prefix) p.push('--prefix cannot be combined with --manifest (the inventory rule already chose the objects)');
  if (o.pageSize !== undefined && (!Number.isInteger(o.pageSize) || o.pageSize < 1 || o.pageSize > 1000)) p.push('page size must be 1..1000');
  if (o.fanout && !o.fanout.functionName) p.push('--fanout needs a function name');
  // The core would refuse every object one by one; say it once, before anything runs.
  if (o.bucket && o.policy.allowedBuckets && !o.policy.allowedBuckets.includes(o.bucket)) {
    p.push(`bucket "${o.bucket}" is not in ALLOWED_BUCKETS (${o.policy.allowedBuckets.join(', ')}); add it there or unset ALLOWED_BUCKETS for this run`);
  }
  if (p.length) throw new BackfillOptionsError(p);
}

function rowOf(r: ObjectResult): ReportRow {
  return {
    key: r.key,
    outcome: r.outcome,
    reason: r.reason,
    ...(r.algorithm ? { algorithm: r.algorithm } : {}),
    ...(r.kmsKeyId ? { kmsKeyId: r.kmsKeyId } : {}),
    ...(r.size !== undefined ? { size: r.size } : {}),
    ...(r.error ? { error: `${r.error.code}: ${r.error.message}` } : {}),
  };
}

/** Pulls the first item before anything is written, so a missing bucket or bad credentials fail with nothing touched. */
async function primed<T>(source: AsyncGenerator<T>): Promise<AsyncGenerator<T>> {
  const first = await source.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* source;
  })();
}

export async function runBackfill(opts: BackfillOptions): Promise<BackfillSummary> {
  validate(opts);
  const started = Date.now();
  const mode = opts.fanout ? 'fanout' : 'local';
  const dryRun = opts.dryRun === true || opts.policy.dryRun;
  const policy: Policy = dryRun && !opts.policy.dryRun ? { ...opts.policy, dryRun: true } : opts.policy;
  const source: SourceId = opts.manifestFile
    ? { kind: 'manifest', bucket: opts.bucket, manifest: opts.manifestFile }
    : { kind: 'list', bucket: opts.bucket, prefix: opts.prefix ?? '' };

  // 1. Everything that can be wrong with the inputs is found before anything is written.
  const cp = opts.checkpointFile ? await readCheckpoint(opts.checkpointFile) : undefined;
  if (cp && opts.checkpointFile) assertResumable(opts.checkpointFile, cp, { source, mode, dryRun });
  const manifest: InventoryManifest | undefined = opts.manifestFile ? await openManifest(opts.manifestFile, { bucket: opts.bucket }) : undefined;

  const counts: Counts = cp ? { ...cp.counts } : { seen: 0, encrypted: 0, skipped: 0, failed: 0, dispatched: 0 };
  const limiter = new AdaptiveLimiter({ max: opts.concurrency ?? DEFAULT_CONCURRENCY });
  let retries = 0;
  const oss: OssGateway = createOssGateway({
    region: opts.connection.region,
    ...(opts.connection.endpoint ? { endpoint: opts.connection.endpoint } : {}),
    credentials: opts.connection.credentials,
    timeoutMs: policy.timeoutMs,
    retry: policy.retry,
    onRetry: ({ error }) => {
      retries += 1;
      if (isThrottling(error)) limiter.onThrottle();
    },
  });

  const tracker = new OrderedCompletion(cp?.position ?? { ordinal: 0, key: null });
  const doneBefore = new Set(cp?.finishedAhead ?? []);
  const finishedOf = (c: Counts) => c.encrypted + c.skipped + c.failed + c.dispatched;
  const total = manifest?.total;
  const rate = new RateMeter();
  let finishedThisRun = 0;

  const snapshot = (done: boolean): ProgressSnapshot => {
    const now = Date.now();
    const finished = finishedOf(counts);
    rate.record(now, finishedThisRun);
    const r = rate.rate();
    const eta = total !== undefined && r > 0 ? ((total - finished) / r) * 1000 : undefined;
    return {
      ...counts,
      seen: finished + tracker.inFlightKeys().length,
      ...(total !== undefined ? { total } : {}),
      finishedThisRun,
      elapsedMs: now - started,
      rate: done && now > started ? (finishedThisRun * 1000) / (now - started) : r,
      ...(eta !== undefined ? { etaMs: eta } : {}),
      concurrency: limiter.limit,
      throttled: limiter.throttles,
      retries,
      done,
    };
  };

  if (cp?.complete) {
    const s = snapshot(true);
    opts.onProgress?.(s);
    return { ...s, aborted: false, complete: true, resumed: true, dryRun, mode, lowestConcurrency: limiter.lowest };
  }

  // 2. The source, positioned after what the checkpoint says is done.
  let ordinal = tracker.position().ordinal;
  async function* items(): AsyncGenerator<Item> {
    const raw: AsyncIterable<{ key: string; size?: number }> = manifest
      ? manifestItems(manifest, { bucket: opts.bucket, skip: ordinal })
      : (async function* () {
          const listing = listObjects(oss, opts.bucket, {
            ...(opts.prefix ? { prefix: opts.prefix } : {}),
            ...(cp?.position.key ? { startAfter: cp.position.key } : {}),
            ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
          });
          for await (const o of listing as AsyncIterable<ListedObject>) yield { key: o.key, size: o.size };
        })();
    for await (const o of raw) {
      const item: Item = { ordinal: ordinal++, key: o.key, ...(o.size !== undefined ? { size: o.size } : {}) };
      if (doneBefore.has(item.key)) {
        tracker.finished(item.ordinal, item.key); // finished in an earlier run, beyond its watermark
        continue;
      }
      yield item;
    }
  }
  const sourceItems = await primed(items());

  // 3. Outputs. A resumed report is cut back to the rows the checkpoint counted.
  const report = opts.reportFile ? ReportWriter.open(opts.reportFile, { ...(opts.reportFormat ? { format: opts.reportFormat } : {}), resumeAtBytes: cp ? cp.reportBytes : null }) : undefined;
  let complete = false;
  const state = (): CheckpointState => ({
    version: CHECKPOINT_VERSION,
    source,
    mode,
    dryRun,
    position: tracker.position(),
    finishedAhead: tracker.finishedAheadKeys(),
    inFlight: tracker.inFlightKeys(),
    counts: { ...counts, seen: finishedOf(counts) + tracker.inFlightKeys().length },
    reportBytes: report ? report.flush() : null,
    complete,
    updatedAt: new Date().toISOString(),
  });
  const checkpoint = opts.checkpointFile ? new CheckpointWriter(opts.checkpointFile, state, opts.checkpointIntervalMs ?? 1000) : undefined;

  const finish = (item: Item, row: ReportRow, outcome: keyof Counts): void => {
    counts[outcome] += 1;
    finishedThisRun += 1;
    report?.add(row);
    tracker.finished(item.ordinal, item.key);
    checkpoint?.touch();
  };

  const progressTimer = opts.onProgress ? setInterval(() => opts.onProgress?.(snapshot(false)), opts.progressIntervalMs ?? 1000) : undefined;
  progressTimer?.unref?.();

  let aborted = false;
  try {
    if (opts.fanout) {
      const target = opts.fanout;
      await runPool(
        batches(sourceItems, target.batchSize ?? 100, target.maxBytes ?? 120_000),
        async (batch) => {
          for (const it of batch) tracker.started(it.ordinal, it.key);
          const requestId = await withRetry(() => sendBatch(target, opts.bucket, batch), {
            isRetryable: (err) => err instanceof FanoutError && !/Signature|AccessKey|NotFound|Forbidden|AccessDenied|InvalidArgument/i.test(err.message),
            onRetry: () => {
              retries += 1;
            },
          }, policy.retry);
          for (const it of batch) finish(it, { key: it.key, outcome: 'dispatched', reason: `sent to ${target.functionName}${requestId ? ` (FC request ${requestId})` : ''}`, ...(it.size !== undefined ? { size: it.size } : {}) }, 'dispatched');
        },
        { concurrency: () => limiter.limit, ...(opts.signal ? { signal: opts.signal } : {}) },
      ).then((r) => {
        complete = r.exhausted;
      });
    } else {
      await runPool(
        sourceItems,
        async (item) => {
          tracker.started(item.ordinal, item.key);
          const result = await encryptObject(
            { bucket: opts.bucket, key: item.key, keyIsExact: true, ...(item.size !== undefined ? { size: item.size } : {}) },
            { oss, policy, logger: opts.logger },
          );
          if (result.outcome !== 'failed') limiter.onSuccess();
          if (result.dryRun) counts.wouldEncrypt = (counts.wouldEncrypt ?? 0) + 1;
          finish(item, rowOf(result), result.outcome);
        },
        { concurrency: () => limiter.limit, ...(opts.signal ? { signal: opts.signal } : {}) },
      ).then((r) => {
        complete = r.exhausted;
      });
    }
    aborted = !complete;
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    // Written on every exit path (also when a fan-out batch could not be delivered), so a rerun resumes.
    try {
      await checkpoint?.flush();
    } finally {
      report?.close();
    }
  }
  const s = snapshot(true);
  opts.onProgress?.(s);
  return { ...s, aborted, complete, resumed: cp !== undefined, dryRun, mode, lowestConcurrency: limiter.lowest };
}
