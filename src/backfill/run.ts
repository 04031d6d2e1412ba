/**
 * The backfill core: source (listing or inventory) → bounded adaptive pool → the function's own
 * per-object core (`encryptObject`) or, with fan-out, batches sent to the deployed function → report
 * row + checkpoint. It never prints: the CLI renders `onProgress` snapshots and the returned summary.
 *
 * Stopping: `signal` stops new work and retries; objects in flight run to their end unless a request
 * goes 5 s unanswered, then the gateway cuts them (an unresponsive endpoint would otherwise hold the stop
 * for minutes of timeouts and retries). An object cut short gets no report row and stays in flight in the
 * checkpoint, so the resumed run redoes it (a cut copy either happened or not; the redo's HEAD sees
 * which). Then the checkpoint and report are flushed. A hard kill at any moment is safe too: see checkpoint.ts.
 * A checkpoint or report that cannot be written stops the run the same way and is the error the run ends with.
 */
import { createOssGateway, type GatewayOptions, type OssCredentials, type OssGateway, type ListedObject } from '../oss/gateway';
import { encryptObject, type ObjectResult } from '../core/encrypt';
import { SKIP_REASONS } from '../core/decide';
import { withRetry } from '../core/retry';
import type { Policy } from '../config';
import type { Logger } from '../log';
import type { OssOperationError } from '../errors';
import { AdaptiveLimiter } from './limiter';
import { runPool } from './pool';
import { resolve } from 'node:path';
import { AutoEncryptError } from '../errors';
import { StartTracker } from './progress-tracker';
import {
  CHECKPOINT_VERSION,
  CheckpointWriter,
  assertResumable,
  readCheckpoint,
  type CheckpointState,
  type Counts,
  type ReportId,
  type SourceId,
} from './checkpoint';
import { lockCheckpoint, lockReport } from './lock';
import { ReportWriter, checkReportTarget, reportFormatFor, type ReportFormat, type ReportRow } from './report';
import { RateMeter, type ProgressSnapshot } from './progress';
import { listObjects } from './lister';
import { manifestItems, openManifest, type InventoryManifest } from './manifest';
import { batches, classifyFanoutError, sendBatch, type FanoutTarget } from './fanout';
import { BackfillOptionsError, FanoutError, FanoutTargetError } from './errors';

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
  /** A run that does not resume may replace a non-empty report (otherwise refused). */
  overwriteReport?: boolean;
  /** OSS inventory manifest.json to read keys from instead of listing. */
  manifestFile?: string;
  /** Send keys to the deployed function instead of copying here. */
  fanout?: FanoutTarget;
  /** Stops the run: no new objects, no more retries, stuck requests cut (see above). */
  signal?: AbortSignal;
  /** An OSS request has had no answer for a few seconds (see the gateway's onStall). */
  onStall?: GatewayOptions['onStall'];
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
  /** Source ordinal, or a negative id for a key redone from the checkpoint's in-flight list. */
  ordinal: number;
  key: string;
  size?: number;
  redo?: boolean;
  /** The interrupted run of this checkpoint may have started it (in flight, or below its reservedUpTo). */
  maybeStarted?: boolean;
  /** The inventory's EncryptionStatus (manifest source only). */
  encrypted?: boolean;
  /** The inventory's ETag: the object must still carry it to be copied (manifest source only). */
  etag?: string;
}

/** Report reason of a row the inventory says is encrypted: skipped without any request. */
export const INVENTORY_ENCRYPTED = 'inventory-encrypted';

/**
 * Reason of a report row for an object that an interrupted run of the same checkpoint may have
 * started, found now encrypted with the target by a write made after that checkpoint's first run
 * began: most likely the interrupted run's own copy (see docs/backfill.md, "Resuming").
 */
export const COPIED_BEFORE_INTERRUPTION = 'copied-before-interruption';

/** Items a run may start beyond the last checkpoint on disk (the window a resumed run double-checks). */
const reserveAhead = (concurrency: number): number => Math.max(64, 4 * concurrency);

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
  // The events carry no dry-run marker and the deployed function decides with its own DRY_RUN: a fanned-out
  // "dry run" would encrypt everything. Refused before anything is sent.
  if (o.fanout && (o.dryRun === true || o.policy.dryRun)) {
    p.push(`a dry run cannot be fanned out: the deployed function applies its own settings and would encrypt the objects; drop --fanout for a dry run (it runs here and changes nothing)${o.policy.dryRun ? ', or unset DRY_RUN for a real fan-out' : ''}`);
  }
  const files = [
    ['--checkpoint', o.checkpointFile],
    ['the checkpoint lock', o.checkpointFile ? `${o.checkpointFile}.lock` : undefined],
    ['--manifest', o.manifestFile],
  ] as const;
  for (const [what, f] of files) {
    if (o.reportFile && f && resolve(o.reportFile) === resolve(f)) p.push(`--report ${o.reportFile} is also ${what}; give the report its own file`);
  }
  // The report's lock (`<report>.lock`, lock.ts) must not be a file the run reads or writes either.
  const reportLock = o.reportFile ? resolve(`${o.reportFile}.lock`) : undefined;
  for (const [flag, f] of [['--checkpoint', o.checkpointFile], ['--manifest', o.manifestFile]] as const) {
    if (reportLock && f && resolve(f) === reportLock) p.push(`${flag} ${f} is also the lock file of --report ${o.reportFile}; give them files that are not <report>.lock`);
  }
  if (o.checkpointFile && o.manifestFile && resolve(`${o.checkpointFile}.lock`) === resolve(o.manifestFile)) {
    p.push(`--manifest ${o.manifestFile} is also the lock file of --checkpoint ${o.checkpointFile}; give the checkpoint another name`);
  }
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
  // One run per checkpoint (lock.ts): taken before the checkpoint is read, released on every exit path.
  if (opts.reportFile) checkReportTarget(opts.reportFile); // a pipe or device is refused before a lock file is made beside it
  const lock = opts.checkpointFile ? lockCheckpoint(opts.checkpointFile) : undefined;
  try {
    // The report too: two runs with different checkpoints and one report would interleave their rows.
    const reportLock = opts.reportFile ? lockReport(opts.reportFile) : undefined;
    try {
      return await run(opts);
    } finally {
      reportLock?.release();
    }
  } finally {
    lock?.release();
  }
}

async function run(opts: BackfillOptions): Promise<BackfillSummary> {
  const started = Date.now();
  const mode = opts.fanout ? 'fanout' : 'local';
  const dryRun = opts.dryRun === true || opts.policy.dryRun;
  const policy: Policy = dryRun && !opts.policy.dryRun ? { ...opts.policy, dryRun: true } : opts.policy;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;

  // 1. Everything that can be wrong with the inputs is found before anything is written.
  const manifest: InventoryManifest | undefined = opts.manifestFile ? await openManifest(opts.manifestFile, { bucket: opts.bucket }) : undefined;
  const source: SourceId = manifest
    ? { kind: 'manifest', bucket: opts.bucket, manifest: resolve(opts.manifestFile as string), md5: manifest.md5, ...(manifest.createdAt !== undefined ? { createdAt: manifest.createdAt } : {}) }
    : { kind: 'list', bucket: opts.bucket, prefix: opts.prefix ?? '' };
  const reportId: ReportId = opts.reportFile ? { file: resolve(opts.reportFile), format: reportFormatFor(opts.reportFile, opts.reportFormat) } : null;
  const cp = opts.checkpointFile ? await readCheckpoint(opts.checkpointFile) : undefined;
  if (cp && opts.checkpointFile) assertResumable(opts.checkpointFile, cp, { source, mode, dryRun, report: reportId });
  if (opts.reportFile && !cp) checkReportTarget(opts.reportFile, { overwrite: opts.overwriteReport === true });

  const counts: Counts = cp ? { ...cp.counts } : { seen: 0, encrypted: 0, skipped: 0, failed: 0, dispatched: 0 };
  const limiter = new AdaptiveLimiter({ max: concurrency });
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
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onStall ? { onStall: opts.onStall } : {}),
  });

  const tracker = new StartTracker(cp?.position ?? { ordinal: 0, key: null });
  // The interrupted run's in-flight keys stay in flight (under the negative ids items() redoes them with) from
  // the first checkpoint write on, until each is finished: a run killed before the pool restarts them must not
  // write them out of the checkpoint while its position is already past them.
  (cp?.inFlight ?? []).forEach((key, i) => tracker.started(-(i + 1), key, false));
  const finishedOf = (c: Counts) => c.encrypted + c.skipped + c.failed + c.dispatched;
  const total = manifest?.total;
  const rate = new RateMeter();
  rate.record(started, 0); // so the first figure is the rate since the start, not 0 for want of a second sample
  let finishedThisRun = 0;

  const snapshot = (done: boolean): ProgressSnapshot => {
    const now = Date.now();
    const finished = finishedOf(counts);
    rate.record(now, finishedThisRun);
    const r = rate.rate();
    const eta = total !== undefined && r > 0 ? ((total - finished) / r) * 1000 : undefined;
    return {
      ...counts,
      seen: finished + tracker.inFlightCount,
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

  // 2. The source: first the keys the checkpoint had in flight (redone), then the items after its position.
  const resumeFrom = tracker.position().ordinal;
  // With SSE_ON_MISMATCH=reencrypt an encrypted row may still need a copy (other algorithm or key, which an
  // inventory does not state): every row is HEADed then, and none is an inventory-encrypted skip.
  const reencrypt = policy.onMismatch === 'reencrypt';
  const interruptedWindow = cp ? cp.reservedUpTo : 0;
  async function* items(): AsyncGenerator<Item> {
    let redoId = -1;
    for (const key of cp?.inFlight ?? []) yield { ordinal: redoId--, key, redo: true, maybeStarted: true };
    let ordinal = resumeFrom;
    const raw: AsyncIterable<{ key: string; size?: number; encrypted?: boolean; etag?: string }> = manifest
      ? manifestItems(manifest, { bucket: opts.bucket, skip: resumeFrom })
      : (async function* () {
          const listing = listObjects(oss, opts.bucket, {
            ...(opts.prefix ? { prefix: opts.prefix } : {}),
            ...(cp?.position.key ? { startAfter: cp.position.key } : {}),
            ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
          });
          for await (const o of listing as AsyncIterable<ListedObject>) yield { key: o.key, size: o.size };
        })();
    for await (const o of raw) {
      const n = ordinal++;
      yield {
        ordinal: n,
        key: o.key,
        ...(o.size !== undefined ? { size: o.size } : {}),
        ...(n < interruptedWindow ? { maybeStarted: true } : {}),
        ...(o.encrypted !== undefined && !reencrypt ? { encrypted: o.encrypted } : {}),
        ...(o.etag ? { etag: o.etag } : {}),
      };
    }
  }
  const sourceItems = await primed(items());

  // A fan-out target that does not exist (or refuses us) is found on the first batch, before anything is written.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (opts.signal?.aborted) stop.abort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  const batchSize = opts.fanout?.batchSize ?? 100;
  const batchSource = opts.fanout ? batches(sourceItems, batchSize, opts.fanout.maxBytes ?? 120_000)[Symbol.asyncIterator]() : undefined;
  const send = async (target: FanoutTarget, batch: Item[]): Promise<string | undefined> => {
    // Rows the inventory says are encrypted are not sent (finished as inventory-encrypted); the others carry the
    // inventory's ETag, so the function applies the same guard as a local run.
    const keys = batch.filter((it) => it.encrypted !== true).map((it) => ({ key: it.key, ...(it.size !== undefined ? { size: it.size } : {}), ...(it.etag ? { eTag: it.etag } : {}) }));
    if (keys.length === 0) return undefined;
    // Ctrl-C stops waiting for an invocation that hangs (see fanout.ts); its batch stays in flight for the resume.
    const sendOpts = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onStall ? { onStall: opts.onStall } : {}) };
    const id = await withRetry(() => sendBatch(target, opts.bucket, keys, sendOpts), {
      isRetryable: (err) => err instanceof FanoutError && classifyFanoutError(err) !== 'target',
      onRetry: (err) => {
        retries += 1;
        if (classifyFanoutError(err) === 'throttled') limiter.onThrottle();
      },
      ...(opts.signal ? { signal: opts.signal } : {}), // Ctrl-C ends a retry wait
    }, policy.retry);
    limiter.onSuccess();
    return id;
  };
  let firstBatch: { items: Item[]; requestId: string | undefined } | undefined;
  if (opts.fanout && batchSource) {
    const first = await batchSource.next();
    if (!first.done) {
      try {
        firstBatch = { items: first.value, requestId: await send(opts.fanout, first.value) };
      } catch (err) {
        if (classifyFanoutError(err) === 'target') {
          throw new FanoutTargetError(opts.fanout.functionName, err instanceof Error ? err.message : String(err), { cause: err });
        }
        throw err;
      }
    }
  }

  // 3. Outputs. A resumed report is cut back to the rows the checkpoint counted.
  const report = opts.reportFile ? ReportWriter.open(opts.reportFile, { ...(opts.reportFormat ? { format: opts.reportFormat } : {}), resumeAtBytes: cp ? cp.reportBytes : null }) : undefined;
  let fatal: AutoEncryptError | undefined;
  const fail = (err: AutoEncryptError): void => {
    fatal ??= err;
    stop.abort();
  };
  let complete = false;
  // Fan-out starts a whole batch at once: reserve in batches, or every batch would cost a checkpoint write.
  const ahead = reserveAhead(concurrency * (opts.fanout ? batchSize : 1));
  let reservedUpTo = resumeFrom + ahead;
  const startedAt = cp?.startedAt ?? new Date(started).toISOString();
  const state = (): CheckpointState => ({
    version: CHECKPOINT_VERSION,
    source,
    mode,
    dryRun,
    report: reportId,
    startedAt,
    position: tracker.position(),
    inFlight: tracker.inFlightKeys(),
    reservedUpTo: Math.max(reservedUpTo, interruptedWindow),
    counts: { ...counts, seen: finishedOf(counts) + tracker.inFlightCount },
    reportBytes: report ? report.flush() : null,
    complete,
    updatedAt: new Date().toISOString(),
  });
  const checkpoint = opts.checkpointFile ? new CheckpointWriter(opts.checkpointFile, state, opts.checkpointIntervalMs ?? 1000, fail) : undefined;
  /** Resolves once a checkpoint on disk covers `ordinal` with its reservedUpTo (see checkpoint.ts). */
  let reservation: Promise<void> = Promise.resolve();
  const reserve = (ordinal: number): Promise<void> => {
    if (checkpoint && ordinal >= reservedUpTo) {
      reservedUpTo = ordinal + ahead;
      reservation = checkpoint.now();
      reservation.catch(() => undefined); // the failure reaches the run through `fail`
    }
    return reservation;
  };

  const finish = (item: Item, row: ReportRow, outcome: keyof Counts): void => {
    counts[outcome] += 1;
    finishedThisRun += 1;
    try {
      report?.add(row);
    } catch (err) {
      fail(err as AutoEncryptError);
    }
    tracker.finished(item.ordinal);
    checkpoint?.touch();
  };

  /** An inventory row that says encrypted is finished without a request (trusted as of the inventory's scan). */
  const finishInventoryEncrypted = (item: Item): void => {
    counts.inventoryEncrypted = (counts.inventoryEncrypted ?? 0) + 1;
    finish(item, { key: item.key, outcome: 'skipped', reason: INVENTORY_ENCRYPTED, ...(item.size !== undefined ? { size: item.size } : {}) }, 'skipped');
  };

  const progressTimer = opts.onProgress ? setInterval(() => opts.onProgress?.(snapshot(false)), opts.progressIntervalMs ?? 1000) : undefined;
  progressTimer?.unref?.();

  const floorToSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
  const cpStartMs = cp ? floorToSecond(Date.parse(cp.startedAt)) : undefined;
  /** Was an already-encrypted object most likely copied by the interrupted run? Its Last-Modified says when it was last written. */
  const copiedBeforeInterruption = async (item: Item, r: ObjectResult): Promise<boolean> => {
    // A dry run never copied anything, so it never claims a copy.
    if (dryRun || !item.maybeStarted || cpStartMs === undefined || r.outcome !== 'skipped' || r.reason !== 'already-encrypted') return false;
    try {
      const lm = (await oss.head(opts.bucket, item.key)).head.lastModified;
      return lm !== undefined && Date.parse(lm) >= cpStartMs;
    } catch {
      return false; // the row then says what this attempt saw
    }
  };

  let aborted = false;
  try {
    if (checkpoint) await checkpoint.now(); // written before any object is touched: an unwritable checkpoint stops here
    if (opts.fanout && batchSource) {
      const target = opts.fanout;
      const dispatched = (batch: Item[], requestId: string | undefined) => {
        for (const it of batch) if (it.encrypted === true) finishInventoryEncrypted(it); else finish(it, { key: it.key, outcome: 'dispatched', reason: `sent to ${target.functionName}${requestId ? ` (FC request ${requestId})` : ''}`, ...(it.size !== undefined ? { size: it.size } : {}) }, 'dispatched');
      };
      if (firstBatch) {
        for (const it of firstBatch.items) tracker.started(it.ordinal, it.key, !it.redo);
        dispatched(firstBatch.items, firstBatch.requestId);
      }
      const rest: AsyncIterable<Item[]> = { [Symbol.asyncIterator]: () => batchSource };
      await runPool(
        rest,
        async (batch) => {
          for (const it of batch) tracker.started(it.ordinal, it.key, !it.redo);
          await reserve(Math.max(...batch.map((it) => it.ordinal)));
          if (fatal) return;
          let requestId: string | undefined;
          try {
            requestId = await send(target, batch);
          } catch (err) {
            if (opts.signal?.aborted) return; // cut short by the signal: no rows; the batch stays in flight and the resume resends it
            throw err;
          }
          dispatched(batch, requestId);
        },
        { concurrency: () => limiter.limit, signal: stop.signal },
      ).then((r) => {
        complete = r.exhausted;
      });
    } else {
      await runPool(
        sourceItems,
        async (item) => {
          tracker.started(item.ordinal, item.key, !item.redo);
          if (!item.redo) await reserve(item.ordinal);
          if (fatal) return; // the reservation could not be written: the item stays in flight for the resume
          if (item.encrypted === true) return finishInventoryEncrypted(item);
          // A plaintext row still gets its HEAD (the inventory may be stale); its ETag must still be the object's, like an event's.
          const result = await encryptObject(
            { bucket: opts.bucket, key: item.key, keyIsExact: true, ...(item.size !== undefined ? { size: item.size } : {}), ...(item.etag ? { eTag: item.etag } : {}) },
            { oss, policy, logger: opts.logger },
          );
          // Cut short by the signal: no row, no count; it stays in flight in the checkpoint and the resumed run redoes it.
          if (result.outcome === 'failed' && opts.signal?.aborted) return;
          if (result.outcome !== 'failed') limiter.onSuccess();
          if (result.dryRun) counts.wouldEncrypt = (counts.wouldEncrypt ?? 0) + 1;
          if (result.outcome === 'skipped' && result.reason === SKIP_REASONS.REPLACED) counts.replaced = (counts.replaced ?? 0) + 1;
          if (await copiedBeforeInterruption(item, result)) {
            finish(item, { ...rowOf(result), outcome: 'encrypted', reason: COPIED_BEFORE_INTERRUPTION }, 'encrypted');
          } else {
            finish(item, rowOf(result), result.outcome);
          }
        },
        { concurrency: () => limiter.limit, signal: stop.signal },
      ).then((r) => {
        complete = r.exhausted;
      });
    }
    aborted = !complete;
  } catch (err) {
    if (!(err instanceof AutoEncryptError)) throw err;
    fatal ??= err;
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    // Written on every exit path (also when a fan-out batch could not be delivered), so a rerun resumes.
    // After a write failure the writer writes nothing more: the file keeps the last state that is true.
    if (fatal) complete = false;
    try {
      await checkpoint?.flush();
    } catch (err) {
      fatal ??= err as AutoEncryptError;
    }
    try {
      report?.close();
    } catch (err) {
      report?.abandon();
      fatal ??= err as AutoEncryptError;
    }
  }
  if (fatal) throw fatal;
  const s = snapshot(true);
  opts.onProgress?.(s);
  return { ...s, aborted, complete, resumed: cp !== undefined, dryRun, mode, lowestConcurrency: limiter.lowest };
}
