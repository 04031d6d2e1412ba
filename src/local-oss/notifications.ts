/**
 * Event notifications: per-bucket rules (trigger event names such as `oss:ObjectCreated:PutObject` or
 * `oss:ObjectCreated:*`, key prefix/suffix) delivering the OSS trigger JSON of oss-api.md §3 to an in-process
 * callback or an HTTP endpoint. Delivery is asynchronous (never delays the OSS response), at least once, and
 * retried with exponential backoff when the target throws or answers non-2xx.
 */
import { randomBytes } from 'node:crypto';

export interface NotificationRule { events: string[]; prefix?: string; suffix?: string }
export type NotificationTarget = ((event: unknown) => Promise<void>) | { url: string };
export interface DeliveryOptions { maxAttempts?: number; retryDelayMs?: number }

/** What changed, as the emitting operation knows it. */
export interface ObjectEventInput {
  eventName: string; // without 'oss:', e.g. 'ObjectCreated:CopyObject'
  bucket: string;
  key: string;
  size: number;
  deltaSize: number;
  etag: string; // unquoted
  mimeType?: string;
  position?: number; // AppendObject
  requestId: string;
  sourceIp: string;
  time: number;
}

interface Subscription { id: number; bucket: string; rule: NotificationRule; ruleId: string; target: NotificationTarget; maxAttempts: number; retryDelayMs: number }

export interface DeliveryFailure { ruleId: string; eventName: string; key: string; attempts: number; error: string }

export class Notifier {
  private subs: Subscription[] = [];
  private nextId = 1;
  private readonly pending = new Set<Promise<void>>();
  private closed = false;
  /** Deliveries that failed every attempt; kept so tests and the CLI can report them instead of losing them. */
  readonly failures: DeliveryFailure[] = [];

  constructor(private readonly region: string, private readonly accountId: string) {}

  subscribe(bucket: string, rule: NotificationRule, target: NotificationTarget, opts: DeliveryOptions = {}): () => void {
    if (!Array.isArray(rule.events) || rule.events.length === 0) {
      throw new TypeError('a notification rule needs at least one event name, e.g. "oss:ObjectCreated:*"');
    }
    for (const e of rule.events) {
      if (!/^(oss:)?Object(Created|Removed):(\*|\w+)$/.test(e)) {
        throw new TypeError(`unknown notification event "${e}"; use names like "oss:ObjectCreated:PutObject" or "oss:ObjectCreated:*"`);
      }
    }
    const sub: Subscription = {
      id: this.nextId++, bucket, rule: { ...rule }, ruleId: randomBytes(20).toString('hex'), target,
      maxAttempts: Math.max(1, opts.maxAttempts ?? 3), retryDelayMs: Math.max(0, opts.retryDelayMs ?? 100),
    };
    this.subs.push(sub);
    return () => { this.subs = this.subs.filter((s) => s !== sub); };
  }

  emit(input: ObjectEventInput): void {
    if (this.closed) return;
    for (const sub of this.subs) {
      if (sub.bucket !== input.bucket || !matches(sub.rule, input)) continue;
      const event = this.event(sub, input);
      const p = this.deliver(sub, event, input).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  /** Resolves once every queued delivery, retries included, has settled. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stops accepting new events; in-flight deliveries finish (close() waits via idle()). */
  close(): void { this.closed = true; }

  private event(sub: Subscription, e: ObjectEventInput): unknown {
    const object: Record<string, unknown> = { deltaSize: e.deltaSize, eTag: e.etag, key: e.key, size: e.size };
    if (e.mimeType !== undefined) object.objectMeta = { mimeType: e.mimeType };
    if (e.position !== undefined) object.position = e.position;
    return {
      events: [{
        eventName: e.eventName,
        eventSource: 'acs:oss',
        eventTime: new Date(e.time).toISOString(),
        eventVersion: '1.0',
        oss: {
          bucket: { arn: `acs:oss:${this.region}:${this.accountId}:${e.bucket}`, name: e.bucket, ownerIdentity: this.accountId, virtualBucket: '' },
          object,
          ossSchemaVersion: '1.0',
          ruleId: sub.ruleId,
        },
        region: this.region,
        requestParameters: { sourceIPAddress: e.sourceIp },
        responseElements: { requestId: e.requestId },
        userIdentity: { principalId: this.accountId },
      }],
    };
  }

  private async deliver(sub: Subscription, event: unknown, input: ObjectEventInput): Promise<void> {
    // Yield first so the OSS response goes out before any subscriber runs.
    await new Promise((r) => setImmediate(r));
    let lastError = '';
    for (let attempt = 1; attempt <= sub.maxAttempts; attempt++) {
      try {
        if (typeof sub.target === 'function') await sub.target(structuredClone(event));
        else await post(sub.target.url, event);
        return;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        if (attempt < sub.maxAttempts) await new Promise((r) => setTimeout(r, sub.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
    this.failures.push({ ruleId: sub.ruleId, eventName: input.eventName, key: input.key, attempts: sub.maxAttempts, error: lastError });
  }
}

function matches(rule: NotificationRule, e: ObjectEventInput): boolean {
  if (rule.prefix && !e.key.startsWith(rule.prefix)) return false;
  if (rule.suffix && !e.key.endsWith(rule.suffix)) return false;
  const [kind] = e.eventName.split(':');
  return rule.events.some((name) => {
    const n = name.replace(/^oss:/, '');
    return n === e.eventName || n === `${kind}:*`;
  });
}

async function post(url: string, event: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  await res.arrayBuffer();
  if (res.status < 200 || res.status > 299) throw new Error(`${url} answered HTTP ${res.status}`);
}
