/**
 * Shared fixture for the resilience suite (not a test): a local OSS, the real handler pointed at it with STS
 * credentials, a set of objects that exercise every preserved field, and helpers to invoke the handler the
 * way FC does (one record per event, InvocationFailedError → the summary it carries).
 */
import { randomBytes } from 'node:crypto';
import OSS from 'ali-oss';
import { ossClient, startTestOss } from '../helpers/local-oss';
import type { LocalOss, LocalOssOptions } from '../../src/local-oss';
import { createHandler, type FcContext, type FcHandler } from '../../src/function/create-handler';
import { InvocationFailedError } from '../../src/errors';
import type { InvocationSummary } from '../../src/core/process';
import type { ObjectResult } from '../../src/core/encrypt';
import { captureLogs, type CapturedLogs } from '../function/log-lines';

/** Smallest part OSS accepts (and the function's MULTIPART_PART_BYTES floor): 100 KiB. */
export const PART = 100 * 1024;
/** Objects above this take the multipart path; kept small so the suite runs on 2 cores. */
export const THRESHOLD = 200 * 1024;

export interface ObjectSpec {
  key: string;
  body: Buffer;
  headers: Record<string, string>;
  meta?: Record<string, string>;
}

/** Objects covering every field that must survive: standard headers, user meta, class, tags, ACL; copy and multipart. */
export function objectSpecs(prefix: string): ObjectSpec[] {
  return [
    {
      key: `${prefix}/rich.xls`,
      body: randomBytes(3000),
      headers: {
        'Content-Type': 'application/vnd.ms-excel', 'Cache-Control': 'max-age=60', 'Content-Disposition': 'attachment; filename="r.xls"',
        'Content-Encoding': 'identity', 'Content-Language': 'zh-CN', Expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
        'x-oss-storage-class': 'IA', 'x-oss-tagging': 'team=finance&level=top%20secret', 'x-oss-object-acl': 'public-read',
      },
      meta: { owner: 'alice', project: 'q4' },
    },
    { key: `${prefix}/plain.bin`, body: randomBytes(1500), headers: { 'Content-Type': 'application/octet-stream' } },
    { key: `${prefix}/private 私有+1.txt`, body: Buffer.from('secret text\n'), headers: { 'Content-Type': 'text/plain', 'x-oss-object-acl': 'private' }, meta: { n: '1' } },
    {
      key: `${prefix}/big-rich.bin`,
      body: randomBytes(THRESHOLD + 50 * 1024), // 3 parts
      headers: {
        'Content-Type': 'video/mp4', 'Cache-Control': 'no-cache', 'x-oss-storage-class': 'IA',
        'x-oss-tagging': 'kind=video&size=big', 'x-oss-object-acl': 'public-read',
      },
      meta: { camera: 'x100' },
    },
    {
      key: `${prefix}/big-private.bin`,
      body: randomBytes(THRESHOLD + 10 * 1024),
      headers: { 'Content-Type': 'application/octet-stream', 'x-oss-object-acl': 'private', 'x-oss-tagging': 'retain=1y' },
    },
  ];
}

/** Clients made by World.client, so putObjects can reach their local OSS to backdate what it seeded. */
const seededBy = new WeakMap<OSS, { oss: LocalOss; bucket: string }>();

/** Backdating by this much makes a seeded object's HEAD "settled" (src/core/guard.ts) without a one-second sleep. */
export const SETTLED_MS = 2000;

/**
 * Uploads `specs`. By default each object is backdated SETTLED_MS, as if uploaded earlier, so runs are deterministic
 * (no settle HEAD whose need depends on the wall clock) and fast. `fresh: true` for uploads that race an invocation:
 * those must carry their real Last-Modified, or the test would lie about the guard.
 */
export async function putObjects(client: OSS, specs: ObjectSpec[], opts: { fresh?: boolean } = {}): Promise<Array<{ key: string; eTag: string; size: number }>> {
  const out = [];
  const seed = seededBy.get(client);
  for (const s of specs) {
    await client.put(s.key, s.body, { headers: s.headers, ...(s.meta ? { meta: s.meta } : {}) } as OSS.PutObjectOptions);
    if (seed && !opts.fresh) await seed.oss.inspect.backdate(seed.bucket, SETTLED_MS, s.key);
    const etag = String((((await client.head(s.key)).res.headers) as Record<string, string>).etag).replace(/"/g, '');
    out.push({ key: s.key, eTag: etag, size: s.body.length });
  }
  return out;
}

/** The OSS trigger event for records, as FC delivers it (a Buffer). */
export function triggerEvent(bucket: string, records: Array<{ key: string; eTag?: string; size?: number; eventName?: string }>): Buffer {
  return Buffer.from(JSON.stringify({
    events: records.map((r) => ({
      eventName: r.eventName ?? 'ObjectCreated:PutObject', eventSource: 'acs:oss', eventTime: new Date().toISOString(), eventVersion: '1.0',
      oss: {
        bucket: { arn: `acs:oss:cn-hangzhou:1234567890123456:${bucket}`, name: bucket, ownerIdentity: '1234567890123456' },
        object: { deltaSize: r.size ?? 0, eTag: r.eTag, key: r.key, size: r.size ?? 0 }, ossSchemaVersion: '1.0', ruleId: 'resilience',
      },
      region: 'cn-hangzhou', requestParameters: { sourceIPAddress: '127.0.0.1' }, responseElements: { requestId: '0' }, userIdentity: { principalId: '1234567890123456' },
    })),
  }));
}

export interface World {
  oss: LocalOss;
  logs: CapturedLogs;
  fc: FcHandler;
  env: Record<string, string>;
  client(bucket: string): OSS;
  context(): FcContext;
  /** One handler invocation; a failed invocation's summary comes from the InvocationFailedError it threw. */
  invoke(bucket: string, records: Parameters<typeof triggerEvent>[1]): Promise<InvocationSummary>;
  close(): Promise<void>;
}

/** Retries fast (1–5 ms backoff) so faults cost little time; everything else is the function's own default unless overridden. */
export async function startWorld(env: Record<string, string> = {}, ossOpts: LocalOssOptions = {}): Promise<World> {
  const oss = await startTestOss({ buckets: [], ...ossOpts });
  const logs = captureLogs('warn');
  const fullEnv = {
    OSS_ENDPOINT: oss.endpoint, RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5', OSS_TIMEOUT_MS: '5000',
    MULTIPART_THRESHOLD_BYTES: String(THRESHOLD), MULTIPART_PART_BYTES: String(PART), ...env,
  };
  const fc = createHandler({ env: fullEnv, logger: logs.logger });
  let n = 0;
  const context = (): FcContext => ({ requestId: `res-${++n}`, region: oss.region, credentials: oss.issueStsCredentials() });
  return {
    oss, logs, fc, env: fullEnv,
    client: (bucket) => {
      const c = ossClient(oss, bucket);
      seededBy.set(c, { oss, bucket });
      return c;
    },
    context,
    async invoke(bucket, records) {
      try {
        return await fc.handler(triggerEvent(bucket, records), context());
      } catch (err) {
        if (err instanceof InvocationFailedError) return err.summary;
        throw err;
      }
    },
    close: () => oss.close(),
  };
}

export const resultOf = (s: InvocationSummary, key: string): ObjectResult | undefined => s.results.find((r) => r.key === key);

/** Resolves once the local OSS has answered `count` requests of `op` on `key`. */
export async function logged(w: World, op: string, key: string, count = 1): Promise<void> {
  for (;;) {
    if ((w.oss.requestLog.counts({ key })[op] ?? 0) >= count) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}
