/**
 * Replay: run the real handler on sample events and show each object before and after.
 *
 * Embedded (default): start the local OSS, create each event's bucket, seed the objects the event
 * names (seed.ts), then invoke the handler exactly as FC would (Buffer event, context with fresh STS
 * credentials from the emulator). Remote (`target` given): touch nothing but what the handler
 * itself does, against that OSS with the caller's credentials.
 */
import OSS from 'ali-oss';
import { randomBytes } from 'node:crypto';
import type { ObjectRef } from '../event/parse';
import type { ObjectResult } from '../core/encrypt';
import type { InvocationSummary } from '../core/process';
import { createHandler, type FcContext } from '../function/create-handler';
import { AutoEncryptError, InvocationFailedError } from '../errors';
import { createOssGateway, type OssCredentials, type OssGateway } from '../oss/gateway';
import type { Logger } from '../log';
import { startLocalOss } from '../local-oss';
import type { EventFile } from './event-files';
import { seedObject, type SeededObject } from './seed';
import { assertBucketName } from './errors';
import { statObject, type StatView } from './stat-view';

export interface RemoteTarget {
  /** Default: the public endpoint of the event's region, https://oss-<region>.aliyuncs.com. */
  endpoint?: string;
  /** Overrides the region named in each event. */
  region?: string;
  credentials: OssCredentials;
}

export interface ReplayOptions {
  files: EventFile[];
  /** The function's environment (SSE_ALGORITHM …), as FC would give it. OSS_ENDPOINT is set by replay. */
  env: Record<string, string | undefined>;
  /** Absent: embedded local OSS. */
  remote?: RemoteTarget;
  logger: Logger;
  /** Called as each event finishes, for streaming output. */
  onEvent?: (event: EventReplay) => void;
  /** Function name put in the context (FC's context.function.name). */
  functionName?: string;
  /** Embedded mode: the local OSS's region (default: the first event's region, else cn-hangzhou). */
  region?: string;
}

export interface ObjectReplay {
  bucket: string;
  key: string;
  /** What replay created for this key (embedded mode only). */
  seeded?: SeededObject['kind'];
  before: StatView;
  after: StatView;
  /** The handler's result for this object; absent when the whole event failed. */
  result?: ObjectResult;
}

export interface EventReplay {
  file: string;
  eventNames: string[];
  requestId: string;
  summary?: InvocationSummary;
  /** The invocation failed as a whole (malformed event, credentials …); FC would retry it. */
  error?: { code: string; message: string };
  objects: ObjectReplay[];
}

export interface ReplayReport {
  mode: 'embedded' | 'remote';
  endpoint: string;
  events: EventReplay[];
  totals: { events: number; objects: number; encrypted: number; skipped: number; failed: number; eventErrors: number };
}

export const DEFAULT_FUNCTION_NAME = 'oss-auto-encrypt';

export async function replay(opts: ReplayOptions): Promise<ReplayReport> {
  return opts.remote ? replayRemote(opts, opts.remote) : replayEmbedded(opts);
}

async function replayEmbedded(opts: ReplayOptions): Promise<ReplayReport> {
  // The emulator plays the events' account and region: the handler refuses events from any other
  // (src/event/parse.ts assertEventScope), as the deployed function would.
  const refs: Array<ObjectRef & { accountId?: string }> = opts.files.flatMap((f) => f.refs);
  const region = opts.region ?? refs.find((r) => r.region)?.region;
  const accountId = refs.find((r) => r.accountId)?.accountId;
  const oss = await startLocalOss({ ...(region ? { region } : {}), ...(accountId ? { accountId } : {}) });
  try {
    const env = { ...withoutCloudCredentials(opts.env), OSS_ENDPOINT: oss.endpoint };
    const fc = createHandler({ env, logger: opts.logger });
    const buckets = new Set(opts.files.flatMap((f) => f.refs.map((r) => r.bucket)));
    for (const f of opts.files) for (const r of f.refs) assertBucketName(r.bucket, f.path);
    for (const b of buckets) await oss.createBucket(b);
    const clients = new Map<string, OSS>();
    const client = (bucket: string): OSS => {
      let c = clients.get(bucket);
      if (!c) {
        c = new OSS({ endpoint: oss.endpoint, region: `oss-${oss.region}`, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, bucket });
        clients.set(bucket, c);
      }
      return c;
    };
    // Views use the root key, like `ossutil stat` run by the bucket owner.
    const viewer = createOssGateway({ region: oss.region, endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } });
    const events: EventReplay[] = [];
    let initialized = false;
    for (const file of opts.files) {
      const seeded = new Map<string, SeededObject['kind']>();
      for (const [i, ref] of file.refs.entries()) {
        const s = await seedObject(client(ref.bucket), ref, { mimeType: mimeTypeOf(file, i) });
        seeded.set(id(ref), s.kind);
      }
      const context = (): FcContext => ({
        requestId: fcRequestId(), region: oss.region, accountId: oss.accountId,
        credentials: oss.issueStsCredentials(), function: { name: opts.functionName ?? DEFAULT_FUNCTION_NAME },
      });
      if (!initialized) {
        await fc.initialize(context());
        initialized = true;
      }
      const ev = await runOne(file, fc.handler, context(), viewer, seeded);
      events.push(ev);
      opts.onEvent?.(ev);
    }
    return report('embedded', oss.endpoint, events);
  } finally {
    await oss.close();
  }
}

async function replayRemote(opts: ReplayOptions, target: RemoteTarget): Promise<ReplayReport> {
  const events: EventReplay[] = [];
  const handlers = new Map<string, ReturnType<typeof createHandler>>();
  let lastEndpoint = target.endpoint ?? '';
  for (const file of opts.files) {
    const region = target.region ?? file.refs.find((r) => r.region)?.region ?? 'cn-hangzhou';
    // From a workstation the internal endpoint (the function's default) does not resolve: use the public one.
    const endpoint = target.endpoint ?? `https://oss-${region}.aliyuncs.com`;
    lastEndpoint = endpoint;
    let fc = handlers.get(endpoint);
    const context = (): FcContext => ({ requestId: fcRequestId(), region, credentials: target.credentials, function: { name: opts.functionName ?? DEFAULT_FUNCTION_NAME } });
    if (!fc) {
      fc = createHandler({ env: { ...opts.env, OSS_ENDPOINT: endpoint }, logger: opts.logger });
      await fc.initialize(context());
      handlers.set(endpoint, fc);
    }
    const viewer = createOssGateway({ region, endpoint, credentials: target.credentials, retry: { maxAttempts: 2 } });
    const ev = await runOne(file, fc.handler, context(), viewer, new Map());
    events.push(ev);
    opts.onEvent?.(ev);
  }
  return report('remote', lastEndpoint, events);
}

async function runOne(
  file: EventFile,
  handler: ReturnType<typeof createHandler>['handler'],
  context: FcContext,
  viewer: OssGateway,
  seeded: Map<string, SeededObject['kind']>,
): Promise<EventReplay> {
  const before = new Map<string, StatView>();
  for (const ref of file.refs) before.set(id(ref), await statObject(viewer, ref.bucket, ref.key));

  let summary: InvocationSummary | undefined;
  let error: EventReplay['error'];
  try {
    summary = await handler(file.raw, context);
  } catch (err) {
    if (err instanceof InvocationFailedError) summary = err.summary;
    else if (err instanceof AutoEncryptError) error = { code: err.code, message: err.message };
    else throw err;
  }

  const objects: ObjectReplay[] = [];
  for (const [i, ref] of file.refs.entries()) {
    const result = summary?.results.find((r) => r.bucket === ref.bucket && r.key === ref.key) ?? summary?.results[i];
    const kind = seeded.get(id(ref));
    objects.push({
      bucket: ref.bucket,
      key: ref.key,
      ...(kind ? { seeded: kind } : {}),
      before: before.get(id(ref))!,
      after: await statObject(viewer, ref.bucket, ref.key),
      ...(result ? { result } : {}),
    });
  }
  return {
    file: file.path,
    eventNames: [...new Set(file.refs.map((r) => r.eventName ?? '?'))],
    requestId: context.requestId,
    ...(summary ? { summary } : {}),
    ...(error ? { error } : {}),
    objects,
  };
}

function report(mode: ReplayReport['mode'], endpoint: string, events: EventReplay[]): ReplayReport {
  const totals = { events: events.length, objects: 0, encrypted: 0, skipped: 0, failed: 0, eventErrors: 0 };
  for (const e of events) {
    if (e.error) totals.eventErrors++;
    for (const o of e.objects) {
      totals.objects++;
      if (!o.result) totals.failed++; // the event failed before this object got a result
      else totals[o.result.outcome]++;
    }
  }
  return { mode, endpoint, events, totals };
}

/** Exit status for a report: any failed object or failed event is a failure. */
export function replayFailed(r: ReplayReport): boolean {
  return r.totals.failed > 0 || r.totals.eventErrors > 0;
}

const id = (ref: ObjectRef): string => `${ref.bucket}\u0000${ref.key}`;

/** The event's `oss.object.objectMeta.mimeType` for record i, read from the raw payload (the parser drops it). */
function mimeTypeOf(file: EventFile, i: number): string | undefined {
  try {
    const doc = JSON.parse(file.raw.toString('utf8')) as Record<string, unknown>;
    const records = Array.isArray(doc.events) ? doc.events : [doc.data];
    const rec = records[i] as { oss?: { object?: { objectMeta?: { mimeType?: unknown } } } } | undefined;
    const m = rec?.oss?.object?.objectMeta?.mimeType;
    return typeof m === 'string' && m ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Embedded runs use the emulator's STS credentials, never the user's cloud keys. */
function withoutCloudCredentials(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { ALIBABA_CLOUD_ACCESS_KEY_ID: _a, ALIBABA_CLOUD_ACCESS_KEY_SECRET: _b, ALIBABA_CLOUD_SECURITY_TOKEN: _c, ...rest } = env;
  return rest;
}

/** FC 3.0 request ids look like 1-65e571bc-158a59e8-b63f98cd471c (function-compute.md §1). */
export function fcRequestId(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(4).toString('hex')}-${randomBytes(6).toString('hex')}`;
}
