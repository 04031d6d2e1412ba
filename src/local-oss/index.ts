/**
 * The local OSS: a protocol-faithful Alibaba Cloud OSS server for tests, benchmarks and offline runs.
 *
 *   const oss = await startLocalOss({ buckets: ['my-bucket'] });
 *   const client = new OSS({ endpoint: oss.endpoint, region: 'oss-' + oss.region, accessKeyId: oss.accessKeyId,
 *                            accessKeySecret: oss.accessKeySecret, bucket: 'my-bucket' });
 *   …
 *   await oss.close();
 *
 * See docs/local-oss.md. Nothing under src/function, src/core … imports this module.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AccessPolicy, type DenyRule } from './auth/access-policy';
import { CredentialStore, type StsCredentials } from './auth/credentials';
import { FaultInjector, type FaultRule } from './faults';
import { Kms, type KmsKeyState } from './kms';
import { Notifier, type DeliveryFailure, type DeliveryOptions, type NotificationRule, type NotificationTarget } from './notifications';
import type { Services } from './operation';
import type { BucketWorm, OverwriteRule } from './model';
import { createBucket } from './ops/bucket';
import { abortWorm, activeWorm, completeWorm, initiateWorm, putOverwriteRules } from './protection';
import { RequestLog, type RequestLogEntry } from './request-log';
import { createOssServer } from './server';
import { State } from './state';
import { createBlobStore } from './storage/blob-store';
import { writeBucketInventory, type InventoryFiles, type InventoryOptions } from './inventory';

export type { FaultRule } from './faults';
export type { RequestLogEntry } from './request-log';
export type { KmsKeyState } from './kms';
export type { OverwriteRule, BucketWorm } from './model';
export type { StsCredentials } from './auth/credentials';
export type { DenyRule } from './auth/access-policy';
export type { DeliveryFailure, NotificationRule, NotificationTarget, DeliveryOptions } from './notifications';
export { Kms } from './kms';
export { writeInventoryFiles, encodeInventoryKey, type InventoryFiles, type InventoryOptions, type InventoryRecord } from './inventory';

export interface LocalOssOptions {
  host?: string; port?: number;              // 127.0.0.1, 0
  region?: string;                           // 'cn-hangzhou'; the ali-oss spelling 'oss-cn-hangzhou' is accepted (prefix stripped)
  accountId?: string;                        // '1234567890123456'
  accessKeyId?: string; accessKeySecret?: string; // random when absent
  buckets?: string[];                        // created at start
  dataDir?: string;                          // persistence; memory when absent
  kms?: { enabled?: boolean; keys?: Array<{ id: string; state?: KmsKeyState; aliases?: string[] }> };
  latencyMs?: number; faults?: FaultRule[]; seed?: number;   // seeded PRNG for faults
  copyChangeLimitBytes?: number;             // default 10^9: CopyObject that changes SSE/storage class above it → 400 EntityTooLarge
  multipartMinPartBytes?: number;            // default 100 KiB (checked at Complete)
  maxSkewMs?: number;                        // default 15 min
  /** Explicit Deny rules from the start (see `access.deny`). */
  deny?: DenyRule[];
  /** How long a RestoreObject stays `ongoing-request="true"`; default 0 (restored at once). */
  restoreDelayMs?: number;
}

export interface LocalOss {
  endpoint: string;                          // 'http://127.0.0.1:PORT'
  region: string; accountId: string; accessKeyId: string; accessKeySecret: string;
  buckets: string[]; kmsKeyIds: string[];
  kms: Kms;
  issueStsCredentials(ttlSeconds?: number): StsCredentials;
  /** Explicit RAM-style Deny rules: `deny({ action: 'oss:GetObjectAcl', accessKeyId? , bucket? })` → 403 AccessDenied. */
  access: { deny(rule: DenyRule): () => void; clear(): void };
  requestLog: { entries(): RequestLogEntry[]; counts(filter?: { bucket?: string; key?: string }): Record<string, number>; clear(): void };
  faults: { set(rules: FaultRule[], seed?: number): void; clear(): void };
  setLatency(ms: number): void;
  createBucket(name: string): Promise<void>;
  /** Bucket write protection, as PutBucketOverwriteConfig and the WORM operations set it (docs/local-oss.md). */
  protection: {
    putOverwriteConfig(bucket: string, rules: OverwriteRule[]): Promise<void>;
    overwriteConfig(bucket: string): OverwriteRule[];
    /** Creates an InProgress retention policy (it protects at once, lapses after 24 h unless completed); returns its id. */
    initiateWorm(bucket: string, retentionDays: number): Promise<string>;
    completeWorm(bucket: string, wormId: string): Promise<void>;
    abortWorm(bucket: string): Promise<void>;
    worm(bucket: string): BucketWorm | undefined;
  };
  /** Writes an inventory of `bucket` as it is now, in OSS's format and layout, under `opts.dir` (src/local-oss/inventory.ts). */
  inventory(bucket: string, opts: InventoryOptions): Promise<InventoryFiles>;
  notifications: {
    /** events like 'oss:ObjectCreated:PutObject' or 'oss:ObjectCreated:*'. Delivery is async, at least once,
     *  retried (exponential backoff, maxAttempts default 3) when the target throws / answers non-2xx. */
    subscribe(bucket: string, rule: NotificationRule, target: NotificationTarget, opts?: DeliveryOptions): () => void;
    idle(): Promise<void>;                   // resolves when every queued delivery (with retries) has settled
    /** Deliveries that failed every attempt (never silently dropped). */
    failures(): DeliveryFailure[];
  };
  inspect: {                                 // test-only peeks that bypass HTTP
    storedBytes(bucket: string, key: string, versionId?: string): Promise<Buffer>;   // at-rest bytes
    multipartUploads(bucket: string): Array<{ key: string; uploadId: string; parts: number }>;
    /**
     * Moves the Last-Modified of every version of `bucket` (or of one key) `ms` into the past, as if written then:
     * tests use it to seed objects whose HEAD is "settled" (src/core/guard.ts) without sleeping a second.
     */
    backdate(bucket: string, ms: number, key?: string): Promise<void>;
  };
  close(): Promise<void>;
}

/** Every default in one place. */
export const LOCAL_OSS_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  region: 'cn-hangzhou',
  accountId: '1234567890123456',
  // OSS's "1 GB" read as 10^9 bytes, the stricter of 10^9 and 2^30 (oss-evidence.md §10).
  copyChangeLimitBytes: 1_000_000_000,
  multipartMinPartBytes: 100 * 1024,
  maxSkewMs: 15 * 60 * 1000,
  restoreDelayMs: 0,
  latencyMs: 0,
  seed: 1,
} as const;

function randomAk(): { accessKeyId: string; accessKeySecret: string } {
  return { accessKeyId: 'LTAI' + randomBytes(10).toString('hex'), accessKeySecret: randomBytes(22).toString('base64url') };
}

export async function startLocalOss(opts: LocalOssOptions = {}): Promise<LocalOss> {
  const o = { ...LOCAL_OSS_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as Omit<typeof LOCAL_OSS_DEFAULTS, 'region'> & LocalOssOptions & { region: string };
  // V4 scopes and Location headers use the region id; ali-oss users naturally pass their client's `oss-<id>`.
  o.region = o.region.replace(/^oss-/, '');
  const ak = o.accessKeyId && o.accessKeySecret ? { accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret } : randomAk();
  const kms = new Kms({ region: o.region, accountId: o.accountId, enabled: o.kms?.enabled, keys: o.kms?.keys });
  const blobs = await createBlobStore({ dataDir: o.dataDir, kms });
  const state = await State.open(o.dataDir, blobs);
  const notifier = new Notifier(o.region, o.accountId);
  const svc: Services = {
    state, blobs, kms, notifier, region: o.region, accountId: o.accountId,
    copyChangeLimitBytes: o.copyChangeLimitBytes, multipartMinPartBytes: o.multipartMinPartBytes, restoreDelayMs: o.restoreDelayMs,
    now: () => Date.now(),
  };
  for (const name of o.buckets ?? []) await createBucket(svc, name);
  const creds = new CredentialStore(ak);
  const log = new RequestLog();
  const faults = new FaultInjector();
  const access = new AccessPolicy();
  for (const rule of o.deny ?? []) access.deny(rule);
  if (o.faults) faults.set(o.faults, o.seed);
  faults.latencyMs = o.latencyMs;
  const server = createOssServer({ svc, creds, log, faults, access, maxSkewMs: o.maxSkewMs });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closed: Promise<void> | undefined;

  const oss: LocalOss = {
    endpoint: `http://${host}:${port}`,
    region: o.region, accountId: o.accountId, accessKeyId: ak.accessKeyId, accessKeySecret: ak.accessKeySecret,
    get buckets() { return state.buckets().map((b) => b.name); },
    get kmsKeyIds() { return kms.keyIds(); },
    kms,
    issueStsCredentials: (ttl) => creds.issueSts(ttl),
    access: { deny: (rule) => access.deny(rule), clear: () => access.clear() },
    requestLog: { entries: () => log.entries(), counts: (f) => log.counts(f), clear: () => log.clear() },
    faults: { set: (rules, seed) => faults.set(rules, seed ?? o.seed), clear: () => faults.clear() },
    setLatency: (ms) => {
      if (!(ms >= 0)) throw new RangeError(`latency must be a non-negative number of milliseconds, got ${ms}`);
      faults.latencyMs = ms;
    },
    createBucket: async (name) => { await createBucket(svc, name); },
    protection: {
      putOverwriteConfig: (bucket, rules) => putOverwriteRules(svc, bucket, rules),
      overwriteConfig: (bucket) => (state.requireBucket(bucket).overwriteRules ?? []).map((r) => ({ ...r })),
      initiateWorm: (bucket, days) => initiateWorm(svc, bucket, days),
      completeWorm: (bucket, wormId) => completeWorm(svc, bucket, wormId),
      abortWorm: (bucket) => abortWorm(svc, bucket),
      worm: (bucket) => { const w = activeWorm(state.requireBucket(bucket), svc.now()); return w && { ...w }; },
    },
    inventory: (bucket, iopts) => writeBucketInventory(state, bucket, iopts),
    notifications: {
      subscribe: (bucket, rule, target, dopts) => {
        if (!state.bucket(bucket)) throw new RangeError(`cannot subscribe to bucket "${bucket}": it does not exist on this local OSS`);
        return notifier.subscribe(bucket, rule, target, dopts);
      },
      idle: () => notifier.idle(),
      failures: () => notifier.failures.map((f) => ({ ...f })),
    },
    inspect: {
      storedBytes: async (bucket, key, versionId) => {
        const v = state.resolve(bucket, key, versionId);
        if (!v.blobId) return Buffer.alloc(0);
        return blobs.readStored(v.blobId);
      },
      multipartUploads: (bucket) => state.uploads(bucket).map((u) => ({ key: u.key, uploadId: u.uploadId, parts: Object.keys(u.parts).length })),
      backdate: async (bucket, ms, key) => {
        for (const k of key !== undefined ? [key] : state.keys(bucket)) {
          for (const v of state.versions(bucket, k)) await state.update(bucket, { ...v, lastModified: v.lastModified - ms });
        }
      },
    },
    close: () => {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await notifier.idle();
        notifier.close();
        await blobs.close();
      })();
      return closed;
    },
  };
  return oss;
}
