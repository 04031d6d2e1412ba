/**
 * `npm start`: the local OSS with a bucket whose event notifications drive the real handler the way
 * an FC OSS trigger does: the same event JSON, delivered asynchronously as a Buffer, a context with
 * fresh STS-style credentials per invocation, and retries when the handler throws (FC retries async
 * invocations 3 times by default, function-compute.md §2, so 4 attempts in all).
 */
import { createHandler, type FcContext } from '../function/create-handler';
import { InvocationFailedError } from '../errors';
import type { InvocationSummary } from '../core/process';
import type { Logger } from '../log';
import { startLocalOss } from '../local-oss';
import { DEFAULT_FUNCTION_NAME, fcRequestId } from './replay';
import { assertBucketName, UsageError } from './errors';

/** The trigger events s.yaml subscribes by default; CopyObject and `*` are opt-in (they re-trigger on our own copy). */
export const DEFAULT_TRIGGER_EVENTS = ['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:PostObject', 'oss:ObjectCreated:CompleteMultipartUpload'];
/** Events an FC OSS trigger accepts for object creation (function-compute.md §2, fc3 schema). */
export const TRIGGER_EVENTS = ['*', 'PutObject', 'PostObject', 'CompleteMultipartUpload', 'PutSymlink', 'CopyObject',
  'InitiateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'AppendObject'].map((e) => `oss:ObjectCreated:${e}`);

/** 1 attempt + FC's default maxAsyncRetryAttempts (3). */
export const DEFAULT_MAX_ATTEMPTS = 4;

export interface LocalTriggerOptions {
  bucket: string;
  env: Record<string, string | undefined>;
  logger: Logger;
  events?: string[];
  prefix?: string;
  suffix?: string;
  maxAttempts?: number;
  /** Delay before the first retry (doubles each time); small by default so a local run feels live. */
  retryDelayMs?: number;
  /** Fixed port for the local OSS (default: any free port). */
  port?: number;
  /** Told about every invocation's outcome, including failed attempts that will be retried. */
  onInvocation?: (info: InvocationInfo) => void;
  functionName?: string;
}

export interface InvocationInfo {
  requestId: string;
  attempt: number;
  eventNames: string[];
  keys: string[];
  summary?: InvocationSummary;
  error?: { code: string; message: string };
  /** A failed attempt that the trigger will retry. */
  willRetry?: boolean;
}

interface TriggerRecord { eventName?: string; oss?: { object?: { key?: string } }; responseElements?: { requestId?: string } }

export interface LocalTrigger {
  endpoint: string;
  region: string;
  accountId: string;
  bucket: string;
  /** Root credentials of the throwaway local OSS (safe to print: they exist only in this process). */
  accessKeyId: string;
  accessKeySecret: string;
  events: string[];
  /** Resolves when every queued notification (retries included) has been handled. */
  idle(): Promise<void>;
  /**
   * Drains, then stops: the local OSS keeps serving until every queued notification (retries included) has been
   * handled, since the handler's own HEAD and copy go to it; uploads that arrive meanwhile are handled too.
   */
  close(): Promise<void>;
}

export async function startLocalTrigger(opts: LocalTriggerOptions): Promise<LocalTrigger> {
  assertBucketName(opts.bucket, '--bucket');
  for (const e of opts.events ?? []) {
    if (!TRIGGER_EVENTS.includes(e)) throw new UsageError(`--events: "${e}" is not an OSS trigger event; use ${TRIGGER_EVENTS.join(', ')}`);
  }
  const oss = await startLocalOss(opts.port !== undefined ? { port: opts.port } : {}).catch((err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') throw new UsageError(`--port ${opts.port}: cannot listen (${code}); pick another port or omit --port for any free one`);
    throw err;
  });
  try {
    const { ALIBABA_CLOUD_ACCESS_KEY_ID: _a, ALIBABA_CLOUD_ACCESS_KEY_SECRET: _b, ALIBABA_CLOUD_SECURITY_TOKEN: _c, ...env } = opts.env;
    const fc = createHandler({ env: { ...env, OSS_ENDPOINT: oss.endpoint }, logger: opts.logger });
    await oss.createBucket(opts.bucket);
    const context = (requestId: string): FcContext => ({
      requestId, region: oss.region, accountId: oss.accountId,
      credentials: oss.issueStsCredentials(), function: { name: opts.functionName ?? DEFAULT_FUNCTION_NAME },
    });
    await fc.initialize(context(fcRequestId()));

    const events = opts.events?.length ? opts.events : DEFAULT_TRIGGER_EVENTS;
    // One request id per event, kept across retries (FC keeps it for async retries of one invocation).
    // The notifier hands each attempt a fresh clone, so attempts are keyed by the OSS request that emitted the event.
    const attempts = new Map<string, { requestId: string; n: number }>();
    const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    oss.notifications.subscribe(
      opts.bucket,
      { events, ...(opts.prefix ? { prefix: opts.prefix } : {}), ...(opts.suffix ? { suffix: opts.suffix } : {}) },
      async (event: unknown) => {
        const records = (event as { events?: TriggerRecord[] }).events ?? [];
        const key = JSON.stringify(records.map((r) => [r.responseElements?.requestId, r.oss?.object?.key, r.eventName]));
        const a = attempts.get(key) ?? { requestId: fcRequestId(), n: 0 };
        a.n++;
        attempts.set(key, a);
        const settle = () => {
          info.willRetry = info.error !== undefined && a.n < maxAttempts;
          if (!info.willRetry) attempts.delete(key);
        };
        const info: InvocationInfo = {
          requestId: a.requestId, attempt: a.n,
          eventNames: records.map((r) => r.eventName ?? '?'), keys: records.map((r) => r.oss?.object?.key ?? '?'),
        };
        try {
          info.summary = await fc.handler(Buffer.from(JSON.stringify(event)), context(a.requestId));
        } catch (err) {
          if (err instanceof InvocationFailedError) info.summary = err.summary;
          info.error = { code: (err as { code?: string }).code ?? 'UNEXPECTED', message: (err as Error).message };
          settle();
          opts.onInvocation?.(info);
          throw err; // the notifier retries, as FC's async invocation would
        }
        settle();
        opts.onInvocation?.(info);
      },
      { maxAttempts, retryDelayMs: opts.retryDelayMs ?? 200 },
    );

    return {
      endpoint: oss.endpoint, region: oss.region, accountId: oss.accountId, bucket: opts.bucket,
      accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, events,
      idle: () => oss.notifications.idle(),
      close: async () => {
        await oss.notifications.idle();
        await oss.close();
      },
    };
  } catch (err) {
    await oss.close();
    throw err;
  }
}
