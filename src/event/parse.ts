/**
 * Trigger payload → object references. The only code that knows trigger shapes:
 * - the OSS trigger event `{"events":[record, …]}` (oss-api.md §3; every record, not just the first);
 * - the same record wrapped as a CloudEvent (EventBridge style: `{"specversion":"1.0","type":"oss:ObjectCreated:…","data":record}`),
 *   alone or as a batch (array); `data` may also be a JSON string or hold `{"events":[…]}`.
 * Keys are passed through verbatim: whether OSS URL-encodes them is UNCONFIRMED (oss-api.md §3), so the
 * decoding fallback lives in core/encrypt.ts where a 404 can tell which form is right.
 */
import { EventError, EventScopeError } from '../errors';

export interface ObjectRef {
  bucket: string;
  key: string;
  /** From the event: unquoted, as OSS sends it. */
  eTag?: string;
  size?: number;
  /** Without the `oss:` prefix, e.g. `ObjectCreated:PutObject`. */
  eventName?: string;
  region?: string;
  /** The account in `oss.bucket.arn` (`acs:oss:<region>:<account>:<bucket>`), when present. */
  accountId?: string;
  versionId?: string;
  /** The record's `eventTime` (epoch ms), when it is a valid date: when the upload happened. */
  eventTime?: number;
  /**
   * The key is exactly the object's name (from a listing or an inventory, not from an event), so a 404 means
   * gone: no second HEAD with a URL-decoded form, which could name a different object.
   */
  keyIsExact?: boolean;
}

/**
 * Most records one invocation accepts. OSS sends one record per event; backfill fan-out sends at most
 * 1000 (src/cli/backfill.ts --batch-size). A larger list is refused before any OSS request, so a forged
 * event cannot fan out unbounded HEAD/copy requests under the function's role.
 */
export const MAX_RECORDS = 1000;

/** OSS bucket naming rule: 3-63 of a-z, 0-9, '-', starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** Unpaired UTF-16 surrogates cannot be encoded as UTF-8, which OSS requires of keys. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function decodePayload(raw: Buffer | string | object): unknown {
  if (Buffer.isBuffer(raw) || typeof raw === 'string') {
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
    if (text.trim() === '') throw new EventError('the event is empty');
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new EventError(`the event is not JSON (${(e as Error).message}; starts with ${JSON.stringify(text.slice(0, 40))})`);
    }
  }
  if (raw === null || raw === undefined) throw new EventError('the event is empty');
  return raw;
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

/** An optional field: absent/null is fine, present must have the expected type (a wrong type is a forged or corrupt event). */
function optional<T>(v: unknown, ok: (v: unknown) => v is T, where: string, expected: string): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (!ok(v)) throw new EventError(`${where} is ${kind(v)}, expected ${expected}`);
  return v;
}
const isString = (v: unknown): v is string => typeof v === 'string';

/** OSS object naming rules (https://www.alibabacloud.com/help/en/oss/user-guide/object-naming-conventions): UTF-8, 1-1023 bytes, no leading / or \. */
function keyProblem(key: string): string | undefined {
  if (LONE_SURROGATE.test(key)) return 'is not valid UTF-8 (it has an unpaired surrogate)';
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > 1023) return `is ${bytes} bytes of UTF-8; OSS object names are at most 1023 bytes`;
  if (key.startsWith('/') || key.startsWith('\\')) return 'starts with "/" or "\\", which OSS object names cannot';
  // URL parsers drop a whole-path "." / ".." segment whatever its encoding (src/oss/gateway.ts keepDotSegments).
  if (key === '.' || key === '..') return 'cannot be requested over HTTP (URL parsing removes a "." or ".." path); rename the object';
  // NUL is not documented as legal in an object name and truncates keys in C-based tools and log pipelines. UNCONFIRMED; refused.
  if (key.includes('\0')) return 'contains a NUL character';
  return undefined;
}

function parseRecord(record: unknown, where: string, fallbackName?: string): ObjectRef {
  if (!isObject(record)) throw new EventError(`${where} is not an object (it is ${kind(record)})`);
  const source = optional(record.eventSource, isString, `${where}.eventSource`, 'a string');
  if (source !== undefined && source !== 'acs:oss') throw new EventError(`${where}.eventSource is ${JSON.stringify(source.slice(0, 64))}, not "acs:oss"; only OSS events can be processed`);
  const oss = record.oss;
  if (!isObject(oss)) throw new EventError(`${where} has no "oss" section`);
  if (!isObject(oss.bucket)) throw new EventError(`${where} is missing oss.bucket.name`);
  const bucket = oss.bucket.name;
  if (bucket === undefined || bucket === null || bucket === '') throw new EventError(`${where} is missing oss.bucket.name`);
  if (typeof bucket !== 'string') throw new EventError(`${where}.oss.bucket.name is ${kind(bucket)}, expected a string`);
  const object = oss.object;
  if (!isObject(object)) throw new EventError(`${where} has no oss.object`);
  const key = object.key;
  if (key === undefined || key === null || key === '') throw new EventError(`${where} is missing oss.object.key`);
  if (typeof key !== 'string') throw new EventError(`${where}.oss.object.key is ${kind(key)}, expected a string`);
  if (!BUCKET_NAME.test(bucket)) {
    throw new EventError(`${where}.oss.bucket.name ${JSON.stringify(bucket.slice(0, 80))} is not a valid OSS bucket name (3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit)`);
  }
  const bad = keyProblem(key);
  if (bad) throw new EventError(`${where}.oss.object.key ${JSON.stringify(key.slice(0, 80))}${key.length > 80 ? '…' : ''} ${bad}`);
  const rawName = optional(record.eventName, isString, `${where}.eventName`, 'a string');
  const eventName = rawName !== undefined ? rawName.replace(/^oss:/, '') : fallbackName;
  const ref: ObjectRef = { bucket, key };
  const eTag = optional(object.eTag, isString, `${where}.oss.object.eTag`, 'a string');
  if (eTag) ref.eTag = eTag.replace(/^"|"$/g, '');
  const size = optional(object.size, (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0, `${where}.oss.object.size`, 'a whole number of bytes');
  if (size !== undefined) ref.size = size;
  if (eventName) ref.eventName = eventName;
  const region = optional(record.region, isString, `${where}.region`, 'a string');
  if (region) ref.region = region;
  // acs:oss:<region>:<account>:<bucket> (function-compute.md §2 sourceArn).
  const arn = optional(oss.bucket.arn, isString, `${where}.oss.bucket.arn`, 'a string');
  const arnParts = arn?.split(':');
  if (arnParts && arnParts.length >= 5 && arnParts[0] === 'acs' && arnParts[1] === 'oss' && arnParts[3]) ref.accountId = arnParts[3];
  const versionId = object.versionId ?? object.versionid;
  if (typeof versionId === 'string' && versionId !== '') ref.versionId = versionId;
  const eventTime = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : NaN;
  if (Number.isFinite(eventTime)) ref.eventTime = eventTime;
  return ref;
}

/** At most 10 key names, each cut to 40 characters: a hostile payload must not make a huge log line. */
function describeKeys(value: Json): string {
  const keys = Object.keys(value);
  if (keys.length === 0) return 'none';
  const shown = keys.slice(0, 10).map((k) => k.slice(0, 40));
  return shown.join(', ') + (keys.length > 10 ? `, … (${keys.length} in all)` : '');
}

function parseEnvelope(value: unknown, where: string): ObjectRef[] {
  if (!isObject(value)) throw new EventError(`${where} is ${kind(value)}, not an object`);
  if ('events' in value) {
    const events = value.events;
    if (!Array.isArray(events)) throw new EventError(`${where}.events is not a list (it is ${kind(events)})`);
    if (events.length === 0) throw new EventError(`${where}.events is empty`);
    if (events.length > MAX_RECORDS) throw new EventError(`${where}.events has ${events.length} records; at most ${MAX_RECORDS} are accepted per invocation (split the event, e.g. backfill --batch-size)`);
    return events.map((r, i) => parseRecord(r, `${where}.events[${i}]`));
  }
  if ('specversion' in value || ('data' in value && ('type' in value || 'source' in value))) {
    if (value.specversion !== undefined && value.specversion !== '1.0') {
      const got = typeof value.specversion === 'string' ? JSON.stringify(value.specversion.slice(0, 20)) : kind(value.specversion);
      throw new EventError(`${where}.specversion is ${got}; only CloudEvents 1.0 is understood`);
    }
    if (value.data === undefined || value.data === null) throw new EventError(`${where} is a CloudEvent without "data"`);
    let data = value.data;
    if (typeof data === 'string') {
      try {
        data = JSON.parse(data);
      } catch {
        throw new EventError(`${where}.data (CloudEvent) is a string that is not JSON`);
      }
    }
    const typeName = typeof value.type === 'string' ? value.type.replace(/^oss:/, '') : undefined;
    if (isObject(data) && 'events' in data) return parseEnvelope(data, `${where}.data`);
    return [parseRecord(data, `${where}.data`, typeName)];
  }
  // A bare record (e.g. one element of events[] passed directly) is accepted too.
  if ('oss' in value) return [parseRecord(value, where)];
  throw new EventError(`${where} has neither "events" (OSS trigger) nor "data" (CloudEvent); keys found: ${describeKeys(value)}`);
}

/** Parses a trigger payload into one reference per record; throws EventError naming what is wrong. */
export function parseEvent(raw: Buffer | string | object): ObjectRef[] {
  const payload = decodePayload(raw);
  let refs: ObjectRef[];
  if (Array.isArray(payload)) {
    if (payload.length === 0) throw new EventError('the event is an empty list');
    if (payload.length > MAX_RECORDS) throw new EventError(`the event is a list of ${payload.length} CloudEvents; at most ${MAX_RECORDS} records are accepted per invocation`);
    refs = payload.flatMap((p, i) => parseEnvelope(p, `event[${i}]`));
  } else {
    refs = parseEnvelope(payload, 'event');
  }
  if (refs.length > MAX_RECORDS) throw new EventError(`the event holds ${refs.length} records; at most ${MAX_RECORDS} are accepted per invocation`);
  return refs;
}

/**
 * Refuses records from another account or region than the function's own (context.accountId/region),
 * before any OSS request: the function's role may reach other accounts' buckets through bucket policies,
 * and a forged event must not make it touch them. Checked only where both sides are known.
 */
export function assertEventScope(refs: readonly ObjectRef[], scope: { accountId?: string; region?: string }): void {
  for (const ref of refs) {
    if (scope.accountId && ref.accountId && ref.accountId !== scope.accountId) {
      throw new EventScopeError('ACCOUNT_MISMATCH', ref.bucket, `account ${ref.accountId}`, `account ${scope.accountId}`);
    }
    if (scope.region && ref.region && ref.region !== scope.region) {
      throw new EventScopeError('REGION_MISMATCH', ref.bucket, `region ${ref.region}`, `region ${scope.region}`);
    }
  }
}

/**
 * `ObjectCreated:*` events that create no object: a trigger on `ObjectCreated:*` also receives them, including the
 * echoes of our own multipart rewrite, and HEADing then could start a second rewrite of the still-plaintext object
 * (test/resilience/loop-safety.test.ts). The object appears only at CompleteMultipartUpload, which has its own event.
 */
export const NON_CREATING_EVENTS = new Set(['ObjectCreated:InitiateMultipartUpload', 'ObjectCreated:UploadPart', 'ObjectCreated:UploadPartCopy']);

/** True for `ObjectCreated:*` names that create an object; a missing name (backfill, hand-made refs) counts as created. */
export function isObjectCreated(ref: ObjectRef): boolean {
  if (ref.eventName === undefined) return true;
  return ref.eventName.startsWith('ObjectCreated:') && !NON_CREATING_EVENTS.has(ref.eventName);
}
