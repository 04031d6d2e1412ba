/**
 * Test harness (not a test): a local OSS, a real ali-oss client for arranging and inspecting objects,
 * and the real handler pointed at the local OSS with STS credentials, its logs captured as JSON lines.
 */
import type OSS from 'ali-oss';
import { ossClient, startTestOss } from '../helpers/local-oss';
import type { LocalOss, LocalOssOptions } from '../../src/local-oss';
import { createHandler, type FcContext } from '../../src/function/create-handler';
import { createOssGateway, type OssGateway } from '../../src/oss/gateway';
import { loadPolicy, type Policy } from '../../src/config';
import { captureLogs, type CapturedLogs } from './log-lines';

export const BUCKET = 'test-bucket';
export const CMK = 'cmk-finance-0001';
export const CMK_OLD = 'cmk-finance-0000';

/** A loose view of the ali-oss methods whose @types are missing or too narrow. */
export type Client = OSS & {
  getObjectTagging(name: string): Promise<{ tag: Record<string, string> }>;
  putObjectTagging(name: string, tag: Record<string, string>): Promise<unknown>;
  putBucketVersioning(name: string, status: 'Enabled' | 'Suspended'): Promise<unknown>;
  getBucketVersions(query: Record<string, unknown>): Promise<{ objects: Array<{ name: string; versionId: string; isLatest: boolean }> }>;
  putSymlink(name: string, target: string): Promise<unknown>;
  append(name: string, content: Buffer, opts?: { position?: string | number }): Promise<{ nextAppendPosition: string }>;
  restore(name: string, opts?: Record<string, unknown>): Promise<unknown>;
};

export interface Harness {
  oss: LocalOss;
  client: Client;
  logs: CapturedLogs;
  policy: Policy;
  handler: ReturnType<typeof createHandler>;
  context(requestId?: string): FcContext;
  gateway(): OssGateway;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}, ossOpts: LocalOssOptions = {}): Promise<Harness> {
  const oss = await startTestOss({
    buckets: [BUCKET],
    kms: { enabled: true, keys: [{ id: CMK }, { id: CMK_OLD }] },
    ...ossOpts,
  });
  const logs = captureLogs();
  const fullEnv = { OSS_ENDPOINT: oss.endpoint, RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5', OSS_TIMEOUT_MS: '5000', ...env };
  const handler = createHandler({ env: fullEnv, logger: logs.logger });
  let n = 0;
  const context = (requestId = `req-${++n}`): FcContext => ({ requestId, region: oss.region, credentials: oss.issueStsCredentials() });
  const client = ossClient(oss, BUCKET) as Client;
  seededBy.set(client, oss);
  return {
    oss,
    client,
    logs,
    policy: loadPolicy(fullEnv),
    handler,
    context,
    gateway: () =>
      createOssGateway({ region: oss.region, endpoint: oss.endpoint, credentials: oss.issueStsCredentials(), retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 } }),
    close: () => oss.close(),
  };
}

/** The OSS trigger event for one or more objects, as FC delivers it (a Buffer). */
export function ossEvent(records: Array<{ key: string; eTag?: string; size?: number; bucket?: string; eventName?: string }>): Buffer {
  return Buffer.from(
    JSON.stringify({
      events: records.map((r) => ({
        eventName: r.eventName ?? 'ObjectCreated:PutObject',
        eventSource: 'acs:oss',
        eventTime: new Date().toISOString(),
        eventVersion: '1.0',
        oss: {
          bucket: { arn: `acs:oss:cn-hangzhou:1234567890123456:${r.bucket ?? BUCKET}`, name: r.bucket ?? BUCKET, ownerIdentity: '1234567890123456' },
          object: { deltaSize: r.size ?? 0, eTag: r.eTag, key: r.key, size: r.size ?? 0 },
          ossSchemaVersion: '1.0',
          ruleId: 'test-rule',
        },
        region: 'cn-hangzhou',
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { requestId: '0000' },
        userIdentity: { principalId: '1234567890123456' },
      })),
    }),
  );
}

/** The harness client's local OSS, so upload() can backdate what it seeded. */
const seededBy = new WeakMap<Client, LocalOss>();

/**
 * Uploads an object and returns the event that OSS would send for it. The object is backdated 2 s, as if uploaded
 * earlier, so its HEAD is "settled" (src/core/guard.ts) and request counts do not depend on the wall clock;
 * `fresh: true` keeps the real Last-Modified (tests of the settle wait itself).
 */
export async function upload(
  client: Client,
  key: string,
  body: Buffer,
  opts: { headers?: Record<string, string>; meta?: Record<string, string>; fresh?: boolean } = {},
): Promise<{ key: string; eTag: string; size: number }> {
  await client.put(key, body, { headers: opts.headers ?? {}, ...(opts.meta ? { meta: opts.meta } : {}) } as OSS.PutObjectOptions);
  const oss = seededBy.get(client);
  if (oss && !opts.fresh) await oss.inspect.backdate(BUCKET, 2000, key);
  const head = await client.head(key);
  const etag = String((head.res.headers as Record<string, string>).etag).replace(/"/g, '');
  return { key, eTag: etag, size: body.length };
}

export async function headers(client: Client, key: string): Promise<Record<string, string>> {
  return (await client.head(key)).res.headers as Record<string, string>;
}

/** The object facts that must survive encryption, read from the emulator side. */
export async function snapshot(client: Client, key: string) {
  const h = await headers(client, key);
  const pick = Object.fromEntries(
    Object.entries(h).filter(
      ([k]) =>
        k.startsWith('x-oss-meta-') ||
        ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'content-length', 'x-oss-storage-class', 'x-oss-tagging-count'].includes(k),
    ),
  );
  const acl = (await client.getACL(key)).acl;
  const tags = (await client.getObjectTagging(key)).tag;
  const body = (await client.get(key)).content as Buffer;
  return { headers: pick, acl, tags, body };
}

export function objectLines(logs: CapturedLogs) {
  return logs.lines().filter((l) => typeof l.outcome === 'string');
}
