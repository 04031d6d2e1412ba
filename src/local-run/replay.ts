/**
 * Replay: run the real handler on sample events and show each object before and after.
 *
 * Embedded (default): per region/account of the events, a local OSS playing it; create each event's bucket,
 * seed the objects the event names (seed.ts), point the event at them (align-event.ts), then invoke the handler
 * exactly as FC would (Buffer event, context with fresh STS credentials from the emulator). Remote (`target`
 * given): touch nothing but what the handler itself does, against that OSS with the caller's credentials, with
 * the event exactly as given.
 */
import OSS from 'ali-oss';
import { randomBytes } from 'node:crypto';
import type { ObjectRef } from '../event/parse';
import type { ObjectResult } from '../core/encrypt';
import type { InvocationSummary } from '../core/process';
import { createHandler, type FcContext, type FcHandler } from '../function/create-handler';
import { AutoEncryptError, InvocationFailedError } from '../errors';
import { createOssGateway, type OssCredentials, type OssGateway } from '../oss/gateway';
import type { Logger } from '../log';
import { startLocalOss, type LocalOss } from '../local-oss';
import type { EventFile } from './event-files';
import { seedObject, type SeededObject } from './seed';
import { assertBucketName } from './errors';
import { statObject, type StatView } from './stat-view';
import { alignEvent, type AlignedEvent, type EventMismatch } from './align-event';
import { objectMetaOf, readEventDocument } from './event-records';

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
  /** The region the function runs in for every event (default: each event's own region, else cn-hangzhou). */
  region?: string;
  /**
   * Embedded mode: invoke with the event exactly as given even when its eTag/size cannot match the seeded
   * object, to show the stale-event path (`replaced`). Default: point the event at the seeded object (align-event.ts).
   */
  keepEtag?: boolean;
}

export interface ObjectReplay {
  bucket: string;
  key: string;
  /** What replay created for this key (embedded mode only). */
  seeded?: SeededObject['kind'];
  /** The event's eTag/size differ from the object's (embedded: the seeded one); whether replay substituted them. */
  eventMismatch?: EventMismatch;
  before: StatView;
  after: StatView;
  /** The handler's result for this object; absent when the whole event failed. */
  result?: ObjectResult;
}

export interface EventReplay {
  file: string;
  eventNames: string[];
  requestId: string;
  /** The function's region and account for this invocation (FC runs it in the bucket's own). */
  region: string;
  accountId?: string;
  endpoint: string;
  summary?: InvocationSummary;
  /** The invocation failed as a whole (malformed event, credentials …); FC would retry it. */
  error?: { code: string; message: string };
  objects: ObjectReplay[];
}

export interface ReplayContextInfo { region: string; accountId?: string; endpoint: string }

export interface ReplayReport {
  mode: 'embedded' | 'remote';
  /** The first context's endpoint (see contexts for all). */
  endpoint: string;
  /** Every region/account the events ran in, in order of first use. */
  contexts: ReplayContextInfo[];
  events: EventReplay[];
  totals: { events: number; objects: number; encrypted: number; skipped: number; failed: number; eventErrors: number };
}

export const DEFAULT_FUNCTION_NAME = 'oss-auto-encrypt';
/** FC's region when neither --region nor the event names one. */
export const DEFAULT_REGION = 'cn-hangzhou';

export async function replay(opts: ReplayOptions): Promise<ReplayReport> {
  return opts.remote ? replayRemote(opts, opts.remote) : replayEmbedded(opts);
}

/** One "deployment" of the function: a local OSS playing one region and account, and a handler instance there. */
interface EmbeddedContext {
  info: ReplayContextInfo;
  oss: LocalOss;
  fc: FcHandler;
  viewer: OssGateway;
  buckets: Set<string>;
  clients: Map<string, OSS>;
}

/** The region and account an event's function runs in: the first record's (FC delivers one bucket per event). */
function scopeOf(file: EventFile, regionOverride: string | undefined): { region: string; accountId?: string } {
  const refs: ObjectRef[] = file.refs;
  const region = regionOverride ?? refs.find((r) => r.region)?.region ?? DEFAULT_REGION;
  const accountId = refs.find((r) => r.accountId)?.accountId;
  return accountId ? { region, accountId } : { region };
}

async function replayEmbedded(opts: ReplayOptions): Promise<ReplayReport> {
  for (const f of opts.files) for (const r of f.refs) assertBucketName(r.bucket, f.path);
  // FC runs a function in the bucket's own region and account, and the handler refuses events from any other
  // (src/event/parse.ts assertEventScope). So each distinct region/account gets its own emulator and handler
  // instance, and events from different regions and accounts replay together as each would alone.
  const contexts = new Map<string, EmbeddedContext>();
  const contextFor = async (scope: { region: string; accountId?: string }): Promise<EmbeddedContext> => {
    const k = `${scope.region}\u0000${scope.accountId ?? ''}`;
    let c = contexts.get(k);
    if (c) return c;
    const oss = await startLocalOss({ region: scope.region, ...(scope.accountId ? { accountId: scope.accountId } : {}) });
    let fc: FcHandler;
    try {
      fc = createHandler({ env: { ...withoutCloudCredentials(opts.env), OSS_ENDPOINT: oss.endpoint }, logger: opts.logger });
    } catch (err) {
      // An invalid policy (CONFIG_INVALID): this emulator is not in `contexts` yet, so close it here or it keeps the
      // process alive (a CLI that never exits).
      await oss.close();
      throw err;
    }
    // Views use the root key, like `ossutil stat` run by the bucket owner.
    const viewer = createOssGateway({ region: oss.region, endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } });
    c = { info: { region: oss.region, accountId: oss.accountId, endpoint: oss.endpoint }, oss, fc, viewer, buckets: new Set(), clients: new Map() };
    contexts.set(k, c);
    await fc.initialize(embeddedFcContext(c, opts));
    return c;
  };
  try {
    const events: EventReplay[] = [];
    for (const file of opts.files) {
      const c = await contextFor(scopeOf(file, opts.region));
      const doc = readEventDocument(file.raw);
      const seeded = new Map<string, SeededObject['kind']>();
      for (const [i, ref] of file.refs.entries()) {
        if (!c.buckets.has(ref.bucket)) {
          await c.oss.createBucket(ref.bucket);
          c.buckets.add(ref.bucket);
        }
        const s = await seedObject(seedClient(c, ref.bucket), ref, objectMetaOf(doc, i));
        seeded.set(id(ref), s.kind);
      }
      const ev = await runOne(file, c.fc.handler, embeddedFcContext(c, opts), c.info, c.viewer, seeded,
        (before) => alignEvent(file, before, { keepEtag: opts.keepEtag === true }));
      events.push(ev);
      opts.onEvent?.(ev);
    }
    return report('embedded', [...contexts.values()].map((c) => c.info), events);
  } finally {
    await Promise.all([...contexts.values()].map((c) => c.oss.close()));
  }
}

function embeddedFcContext(c: EmbeddedContext, opts: ReplayOptions): FcContext {
  return {
    requestId: fcRequestId(), region: c.oss.region, accountId: c.oss.accountId,
    credentials: c.oss.issueStsCredentials(), function: { name: opts.functionName ?? DEFAULT_FUNCTION_NAME },
  };
}

function seedClient(c: EmbeddedContext, bucket: string): OSS {
  let client = c.clients.get(bucket);
  if (!client) {
    client = new OSS({ endpoint: c.oss.endpoint, region: `oss-${c.oss.region}`, accessKeyId: c.oss.accessKeyId, accessKeySecret: c.oss.accessKeySecret, bucket });
    c.clients.set(bucket, client);
  }
  return client;
}

/**
 * Against a real OSS replay seeds nothing and never edits the event: the handler sees exactly the file's bytes,
 * so an object whose ETag no longer matches the event is skipped as `replaced` (the mismatch is shown), and only
 * objects the events name, as they name them, can be rewritten, by the handler itself.
 */
async function replayRemote(opts: ReplayOptions, target: RemoteTarget): Promise<ReplayReport> {
  const events: EventReplay[] = [];
  const handlers = new Map<string, ReturnType<typeof createHandler>>();
  const contexts: ReplayContextInfo[] = [];
  for (const file of opts.files) {
    const { region } = scopeOf(file, target.region);
    // From a workstation the internal endpoint (the function's default) does not resolve: use the public one.
    const endpoint = target.endpoint ?? `https://oss-${region}.aliyuncs.com`;
    if (!contexts.some((c) => c.region === region && c.endpoint === endpoint)) contexts.push({ region, endpoint });
    let fc = handlers.get(endpoint);
    const context = (): FcContext => ({ requestId: fcRequestId(), region, credentials: target.credentials, function: { name: opts.functionName ?? DEFAULT_FUNCTION_NAME } });
    if (!fc) {
      fc = createHandler({ env: { ...opts.env, OSS_ENDPOINT: endpoint }, logger: opts.logger });
      await fc.initialize(context());
      handlers.set(endpoint, fc);
    }
    const viewer = createOssGateway({ region, endpoint, credentials: target.credentials, retry: { maxAttempts: 2 } });
    const ev = await runOne(file, fc.handler, context(), { region, endpoint }, viewer, new Map(),
      (before) => alignEvent(file, before, { keepEtag: true }));
    events.push(ev);
    opts.onEvent?.(ev);
  }
  return report('remote', contexts, events);
}

async function runOne(
  file: EventFile,
  handler: FcHandler['handler'],
  context: FcContext,
  info: ReplayContextInfo,
  viewer: OssGateway,
  seeded: Map<string, SeededObject['kind']>,
  align: (before: StatView[]) => AlignedEvent,
): Promise<EventReplay> {
  const before: StatView[] = [];
  for (const ref of file.refs) before.push(await statObject(viewer, ref.bucket, ref.key));
  const { raw, mismatches } = align(before);

  let summary: InvocationSummary | undefined;
  let error: EventReplay['error'];
  try {
    summary = await handler(raw, context);
  } catch (err) {
    if (err instanceof InvocationFailedError) summary = err.summary;
    else if (err instanceof AutoEncryptError) error = { code: err.code, message: err.message };
    else throw err;
  }

  const objects: ObjectReplay[] = [];
  for (const [i, ref] of file.refs.entries()) {
    const result = summary?.results.find((r) => r.bucket === ref.bucket && r.key === ref.key) ?? summary?.results[i];
    const kind = seeded.get(id(ref));
    const mismatch = mismatches.get(i);
    objects.push({
      bucket: ref.bucket,
      key: ref.key,
      ...(kind ? { seeded: kind } : {}),
      ...(mismatch ? { eventMismatch: mismatch } : {}),
      before: before[i]!,
      after: await statObject(viewer, ref.bucket, ref.key),
      ...(result ? { result } : {}),
    });
  }
  return {
    file: file.path,
    eventNames: [...new Set(file.refs.map((r) => r.eventName ?? '?'))],
    requestId: context.requestId,
    region: info.region,
    ...(info.accountId ? { accountId: info.accountId } : {}),
    endpoint: info.endpoint,
    ...(summary ? { summary } : {}),
    ...(error ? { error } : {}),
    objects,
  };
}

function report(mode: ReplayReport['mode'], contexts: ReplayContextInfo[], events: EventReplay[]): ReplayReport {
  const totals = { events: events.length, objects: 0, encrypted: 0, skipped: 0, failed: 0, eventErrors: 0 };
  for (const e of events) {
    if (e.error) totals.eventErrors++;
    for (const o of e.objects) {
      totals.objects++;
      if (!o.result) totals.failed++; // the event failed before this object got a result
      else totals[o.result.outcome]++;
    }
  }
  return { mode, endpoint: contexts[0]?.endpoint ?? '', contexts, events, totals };
}

/** Exit status for a report: any failed object or failed event is a failure. */
export function replayFailed(r: ReplayReport): boolean {
  return r.totals.failed > 0 || r.totals.eventErrors > 0;
}

const id = (ref: ObjectRef): string => `${ref.bucket}\u0000${ref.key}`;

/** Embedded runs use the emulator's STS credentials, never the user's cloud keys. */
function withoutCloudCredentials(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { ALIBABA_CLOUD_ACCESS_KEY_ID: _a, ALIBABA_CLOUD_ACCESS_KEY_SECRET: _b, ALIBABA_CLOUD_SECURITY_TOKEN: _c, ...rest } = env;
  return rest;
}

/** FC 3.0 request ids look like 1-65e571bc-158a59e8-b63f98cd471c (function-compute.md §1). */
export function fcRequestId(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(4).toString('hex')}-${randomBytes(6).toString('hex')}`;
}
