/**
 * The audit core: how much of a bucket is plaintext, where, and what encrypting it would cost.
 *
 * Sources:
 * - an inventory (`manifestFile`): every row states EncryptionStatus, so no object is requested at all;
 * - a listing: every object HEADed (which also tells algorithm and KMS key), or a uniform sample of `sample` objects
 *   HEADed and the rest estimated, with the sampling error stated.
 * It never prints: the CLI renders `onProgress` snapshots and the returned report.
 */
import { promises as fs } from 'node:fs';
import { createOssGateway, type OssCredentials, type OssGateway } from '../oss/gateway';
import { OssOperationError } from '../errors';
import type { Policy } from '../config';
import { runPool } from '../backfill/pool';
import { listObjects } from '../backfill/lister';
import { manifestRows, openManifest } from '../backfill/manifest';
import { RateMeter } from '../backfill/progress';
import { CoverageAccumulator, type AuditObject, type Breakdowns, type CoverageRow, type Observation } from './aggregate';
import { copyRequestsFor, estimateBackfill, type BackfillEstimate } from './estimate';
import { Reservoir, byteShareInterval, proportionInterval, seededRandom, type Interval } from './sample';
import { AuditInventoryError, AuditOptionsError, AuditStoppedError } from './errors';
import { escapeControl } from './format';

/** The storage class shown for objects of an inventory without a StorageClass column. */
export const UNKNOWN_CLASS = '(unknown)';

export const DEFAULT_AUDIT_CONCURRENCY = 64;

export interface AuditOptions {
  bucket: string;
  /** OSS inventory manifest.json: zero object requests. */
  manifestFile?: string;
  /** Listing mode: only keys under this prefix. */
  prefix?: string;
  /** Listing mode: HEAD only this many objects, drawn uniformly. */
  sample?: number;
  seed?: number;
  /** Prefix levels of the breakdown (default 1). */
  depth?: number;
  /** Needed for a listing; for an inventory only used to measure the round trip for the time estimate. */
  connection?: { region: string; endpoint?: string; credentials: OssCredentials };
  /** The function's policy: ACL preservation and multipart thresholds decide the cost per object. */
  policy: Policy;
  concurrency?: number;
  /** Time the estimate with this round trip instead of measuring one. */
  roundTripMs?: number;
  /** Fan-out assumptions for the time estimate. */
  fanout?: { batchSize: number; instances: number };
  signal?: AbortSignal;
  onProgress?: (p: AuditProgress) => void;
  progressIntervalMs?: number;
  pageSize?: number;
}

export interface AuditProgress {
  phase: 'inventory' | 'listing' | 'head';
  /** Rows read or objects listed. */
  listed: number;
  /** Objects HEADed (listing mode). */
  headed: number;
  /** What `headed` is heading to, when known (sample size, or listed so far). */
  total?: number;
  rate: number;
  elapsedMs: number;
  done: boolean;
}

export interface SamplingError {
  sampled: number;
  population: number;
  confidence: 0.95;
  /** Share of objects that are plaintext. */
  plaintextObjectShare: Interval;
  /** Share of bytes that are plaintext. */
  plaintextByteShare: Interval;
  seed: number;
}

export interface AuditReport extends Breakdowns {
  bucket: string;
  /** False for an inventory without a Size column: every byte figure is then 0 and means "not known". */
  bytesKnown: boolean;
  source: { kind: 'inventory'; manifest: string; inventoryCreatedAt?: string } | { kind: 'listing'; prefix: string; sampled: boolean };
  depth: number;
  generatedAt: string;
  elapsedMs: number;
  /** Stopped by the signal: figures cover what was seen until then. */
  aborted: boolean;
  /** Requests the audit itself made. */
  requests: { object: number; bucket: number };
  /** Listed objects that were gone by the time of their HEAD. */
  gone: number;
  /** HEADs that failed (those objects are counted as unknown). */
  headErrors: number;
  /** The first of those failures, e.g. "AccessDenied (HTTP 403)": what to fix. */
  firstHeadError?: string;
  sampling?: SamplingError;
  /**
   * All-versions inventories: the older (noncurrent) versions, which the totals above leave out (they are not
   * current objects, and backfill never rewrites them) but which still hold data, encrypted or not; and the
   * number of delete markers. Absent for a current-versions inventory and for a listing.
   */
  noncurrentVersions?: CoverageRow & { deleteMarkers: number };
  estimate: BackfillEstimate;
}

function validate(o: AuditOptions): void {
  const p: string[] = [];
  if (!o.bucket) p.push('a bucket is required (--bucket NAME)');
  else if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(o.bucket)) p.push(`bucket "${o.bucket}" is not a valid OSS bucket name (3–63 lowercase letters, digits and '-')`);
  const depth = o.depth ?? 1;
  if (!Number.isInteger(depth) || depth < 0 || depth > 32) p.push(`depth must be a whole number from 0 to 32, got ${o.depth}`);
  if (o.manifestFile && o.prefix !== undefined) p.push('--prefix cannot be combined with --manifest (the inventory rule already chose the objects)');
  if (o.manifestFile && o.sample !== undefined) p.push('--sample applies to a listing; an inventory already states every object\'s encryption');
  if (o.sample !== undefined && (!Number.isInteger(o.sample) || o.sample < 1)) p.push(`sample must be a whole number of at least 1, got ${o.sample}`);
  const c = o.concurrency ?? DEFAULT_AUDIT_CONCURRENCY;
  if (!Number.isInteger(c) || c < 1 || c > 1000) p.push(`concurrency must be a whole number from 1 to 1000, got ${o.concurrency}`);
  if (!o.manifestFile && !o.connection) p.push('auditing from a listing needs credentials and a region (or pass --manifest)');
  if (p.length) throw new AuditOptionsError(p);
}

function observationOf(headers: { sse?: { algorithm: string; kmsKeyId?: string; dataEncryption?: string } }): Observation {
  const sse = headers.sse;
  if (!sse) return { state: 'plaintext' };
  const algorithm = sse.algorithm === 'KMS' && sse.dataEncryption === 'SM4' ? 'KMS+SM4' : sse.algorithm;
  return { state: 'encrypted', algorithm, ...(sse.algorithm === 'KMS' && sse.kmsKeyId ? { kmsKeyId: sse.kmsKeyId } : {}) };
}

/** Median of a few bucket-level requests (ListObjectsV2 max-keys=1): no object is read. */
async function measureRoundTrip(oss: OssGateway, bucket: string, count: { bucket: number }): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await oss.listV2(bucket, { maxKeys: 1 });
    count.bucket += 1;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round((times[1] as number) * 10) / 10;
}

export async function runAudit(opts: AuditOptions): Promise<AuditReport> {
  validate(opts);
  const started = Date.now();
  const depth = opts.depth ?? 1;
  const acc = new CoverageAccumulator(depth, copyRequestsFor(opts.policy));
  const requests = { object: 0, bucket: 0 };
  let listed = 0;
  let headed = 0;
  let gone = 0;
  let headErrors = 0;
  let firstHeadError: string | undefined;
  let phase: AuditProgress['phase'] = opts.manifestFile ? 'inventory' : 'listing';
  let headTotal: number | undefined;
  const rate = new RateMeter();
  const snapshot = (done: boolean): AuditProgress => {
    const now = Date.now();
    const n = phase === 'head' || (phase === 'listing' && opts.sample === undefined) ? headed : listed;
    rate.record(now, n);
    return { phase, listed, headed, ...(headTotal !== undefined ? { total: headTotal } : {}), rate: rate.rate(), elapsedMs: now - started, done };
  };
  const timer = opts.onProgress ? setInterval(() => opts.onProgress?.(snapshot(false)), opts.progressIntervalMs ?? 1000) : undefined;
  timer?.unref?.();

  const oss: OssGateway | undefined = opts.connection
    ? createOssGateway({
        region: opts.connection.region,
        ...(opts.connection.endpoint ? { endpoint: opts.connection.endpoint } : {}),
        credentials: opts.connection.credentials,
        timeoutMs: opts.policy.timeoutMs,
        retry: opts.policy.retry,
        // Every retried request is a request too (HEADs to objects; listings and the round-trip probe to the bucket).
        onRetry: ({ operation }) => {
          if (operation === 'HeadObject') requests.object += 1;
          else requests.bucket += 1;
        },
      })
    : undefined;
  const aborted = () => opts.signal?.aborted === true;
  let sampling: SamplingError | undefined;
  let noncurrent: AuditReport['noncurrentVersions'];
  let bytesKnown = true;
  let source: AuditReport['source'];

  try {
    if (opts.manifestFile) {
      const file = opts.manifestFile;
      const m = await openManifest(file, { bucket: opts.bucket, ...(opts.signal ? { signal: opts.signal } : {}) }).catch((err: unknown) => {
        throw aborted() ? new AuditStoppedError(file) : err;
      });
      if (!m.columns.includes('EncryptionStatus')) {
        throw new AuditInventoryError(opts.manifestFile, `its fileSchema (${m.columns.join(', ')}) has no EncryptionStatus column; add EncryptionStatus to the inventory rule's optional fields, or audit from a listing (omit --manifest)`);
      }
      source = { kind: 'inventory', manifest: opts.manifestFile };
      headTotal = m.total;
      const created = await inventoryCreatedAt(opts.manifestFile);
      if (created) source.inventoryCreatedAt = created;
      const old = new CoverageAccumulator(0);
      let deleteMarkers = 0;
      let allVersions = false;
      // Without these columns the inventory does not say sizes or classes: shown as unknown, not 0 B / Standard.
      const haveSize = m.columns.includes('Size');
      const haveClass = m.columns.includes('StorageClass');
      if (!haveSize) bytesKnown = false;
      const classOf = (c: string | undefined) => c ?? (haveClass ? 'Standard' : UNKNOWN_CLASS);
      let unrecognised = 0;
      let firstUnrecognised: { value: string; key: string } | undefined;
      for await (const row of manifestRows(m, { bucket: opts.bucket })) {
        if (aborted()) break;
        if ('ignored' in row) {
          allVersions = true;
          if (row.ignored === 'delete-marker') deleteMarkers += 1;
          else {
            const v: AuditObject = { key: row.item.key, size: row.item.size ?? 0, storageClass: classOf(row.item.storageClass) };
            old.count(v);
            old.observe(v, { state: row.item.encrypted === undefined ? 'unknown' : row.item.encrypted ? 'encrypted' : 'plaintext' });
          }
          continue;
        }
        if (row.unrecognisedEncryption !== undefined) {
          unrecognised += 1;
          firstUnrecognised ??= { value: row.unrecognisedEncryption, key: row.key };
        }
        const o: AuditObject = { key: row.key, size: row.size ?? 0, storageClass: classOf(row.storageClass) };
        acc.count(o);
        acc.observe(o, { state: row.encrypted === undefined ? 'unknown' : row.encrypted ? 'encrypted' : 'plaintext' });
        listed += 1;
      }
      if (firstUnrecognised) {
        throw new AuditInventoryError(opts.manifestFile, `${unrecognised} row${unrecognised === 1 ? ' has' : 's have'} an EncryptionStatus that is neither true nor false, the first "${escapeControl(firstUnrecognised.value)}" (key "${escapeControl(firstUnrecognised.key)}"); an OSS inventory writes true/false (S3 inventories write SSE-S3, SSE-KMS, NOT-SSE: not this format). Use the bucket's OSS inventory, or audit from a listing (omit --manifest)`);
      }
      if (allVersions || m.columns.includes('IsLatest')) noncurrent = { ...old.result().totals, name: 'noncurrent versions', deleteMarkers };
    } else {
      // Each listing page is one bucket request (its retries are counted by onRetry).
      const gw: OssGateway = {
        ...(oss as OssGateway),
        listV2: (b, q) => {
          requests.bucket += 1;
          return (oss as OssGateway).listV2(b, q);
        },
      };
      source = { kind: 'listing', prefix: opts.prefix ?? '', sampled: opts.sample !== undefined };
      acc.statesAlgorithms(); // a HEAD says the algorithm, so an all-plaintext bucket still gets its breakdown ('none')
      const listing = listObjects(gw, opts.bucket, { ...(opts.prefix ? { prefix: opts.prefix } : {}), ...(opts.pageSize ? { pageSize: opts.pageSize } : {}) });
      /** HEADs one object; 'gone' when it was deleted since it was listed (then it is not in the bucket any more). */
      const head = async (o: AuditObject): Promise<Observation | 'gone'> => {
        headed += 1;
        try {
          const r = await gw.head(opts.bucket, o.key);
          requests.object += 1;
          return observationOf(r.head);
        } catch (err) {
          requests.object += 1;
          if (err instanceof OssOperationError && err.ossCode === 'NoSuchKey') {
            gone += 1;
            return 'gone';
          }
          headErrors += 1;
          firstHeadError ??= err instanceof OssOperationError ? `${err.ossCode} (HTTP ${err.status}) on "${o.key}"` : String((err as Error)?.message ?? err);
          return { state: 'unknown' };
        }
      };
      const concurrency = opts.concurrency ?? DEFAULT_AUDIT_CONCURRENCY;
      const poolOpts = { concurrency: () => concurrency, ...(opts.signal ? { signal: opts.signal } : {}) };
      if (opts.sample === undefined) {
        // Every object: HEADs overlap with the listing (the pool pulls keys as slots free up).
        const objects = (async function* () {
          for await (const l of listing) {
            listed += 1;
            headTotal = listed;
            yield { key: l.key, size: l.size, storageClass: l.storageClass ?? 'Standard' } as AuditObject;
          }
        })();
        await runPool(objects, async (o) => {
          const obs = await head(o);
          if (obs === 'gone') return;
          acc.count(o);
          acc.observe(o, obs);
        }, poolOpts);
      } else {
        const seed = opts.seed ?? 1;
        const reservoir = new Reservoir<AuditObject>(opts.sample, seededRandom(seed));
        for await (const l of listing) {
          if (aborted()) break;
          const o: AuditObject = { key: l.key, size: l.size, storageClass: l.storageClass ?? 'Standard' };
          acc.count(o);
          reservoir.offer(o);
          listed += 1;
        }
        phase = 'head';
        headTotal = reservoir.items.length;
        const observed: Array<{ size: number; plaintext: boolean }> = [];
        // Shuffled, so a sample stopped part-way (Ctrl-C) is still uniform over the listing.
        const order = reservoir.drawOrder();
        if (!aborted()) {
          await runPool((async function* () { yield* order; })(), async (o) => {
            const obs = await head(o);
            if (obs === 'gone') return;
            acc.observe(o, obs);
            if (obs.state !== 'unknown') observed.push({ size: o.size, plaintext: obs.state === 'plaintext' });
          }, poolOpts);
        }
        sampling = {
          sampled: observed.length,
          population: listed,
          confidence: 0.95,
          plaintextObjectShare: proportionInterval(observed.filter((o) => o.plaintext).length, observed.length, listed),
          plaintextByteShare: byteShareInterval(observed, listed),
          seed,
        };
      }
    }
  } finally {
    if (timer) clearInterval(timer);
  }

  const breakdowns = acc.result();
  let roundTripMs = opts.roundTripMs;
  const roundTripSource = roundTripMs === undefined ? 'measured' : 'given';
  if (roundTripMs === undefined && oss && !aborted()) roundTripMs = await measureRoundTrip(oss, opts.bucket, requests);
  const t = breakdowns.totals;
  const estimate = estimateBackfill(
    { objects: t.objects, plaintextObjects: t.plaintextObjects, encryptedObjects: t.encryptedObjects, unknownObjects: t.unknownObjects, copyRequests: acc.copyRequests(), archivedPlaintext: acc.archivedPlaintext() },
    {
      policy: opts.policy,
      ...(roundTripMs !== undefined ? { roundTripMs, roundTripSource } : {}),
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      fanout: opts.fanout ?? { batchSize: 100, instances: 100 },
    },
  );
  const s = snapshot(true);
  opts.onProgress?.(s);
  return {
    bucket: opts.bucket,
    bytesKnown,
    source,
    depth,
    generatedAt: new Date().toISOString(),
    elapsedMs: s.elapsedMs,
    aborted: aborted(),
    requests,
    gone,
    headErrors,
    ...(firstHeadError ? { firstHeadError } : {}),
    ...breakdowns,
    ...(sampling ? { sampling } : {}),
    ...(noncurrent ? { noncurrentVersions: noncurrent } : {}),
    estimate,
  };
}

/** The manifest's creationTimestamp (unix seconds) as an ISO date, when present. */
async function inventoryCreatedAt(file: string): Promise<string | undefined> {
  try {
    const m = JSON.parse(await fs.readFile(file, 'utf8')) as { creationTimestamp?: unknown };
    const s = Number(m.creationTimestamp);
    return Number.isFinite(s) && s > 0 ? new Date(s * 1000).toISOString() : undefined;
  } catch {
    return undefined;
  }
}
