/**
 * Trigger payload → object references. The only code that knows trigger shapes:
 * - the OSS trigger event `{"events":[record, …]}` (oss-api.md §3; every record, not just the first);
 * - the same record wrapped as a CloudEvent (EventBridge style: `{"specversion":"1.0","type":"oss:ObjectCreated:…","data":record}`),
 *   alone or as a batch (array); `data` may also be a JSON string or hold `{"events":[…]}`.
 * Keys are passed through verbatim: whether OSS URL-encodes them is UNCONFIRMED (oss-api.md §3), so the
 * decoding fallback lives in core/encrypt.ts where a 404 can tell which form is right.
 */
import { EventError } from '../errors';

export interface ObjectRef {
  bucket: string;
  key: string;
  /** From the event: unquoted, as OSS sends it. */
  eTag?: string;
  size?: number;
  /** Without the `oss:` prefix, e.g. `ObjectCreated:PutObject`. */
  eventName?: string;
  region?: string;
  versionId?: string;
}

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

function parseRecord(record: unknown, where: string, fallbackName?: string): ObjectRef {
  if (!isObject(record)) throw new EventError(`${where} is not an object`);
  const oss = record.oss;
  if (!isObject(oss)) throw new EventError(`${where} has no "oss" section`);
  const bucket = isObject(oss.bucket) ? oss.bucket.name : undefined;
  if (typeof bucket !== 'string' || bucket === '') throw new EventError(`${where} is missing oss.bucket.name`);
  const object = oss.object;
  if (!isObject(object)) throw new EventError(`${where} has no oss.object`);
  const key = object.key;
  if (typeof key !== 'string' || key === '') throw new EventError(`${where} is missing oss.object.key`);
  const eventName = typeof record.eventName === 'string' ? record.eventName.replace(/^oss:/, '') : fallbackName;
  const ref: ObjectRef = { bucket, key };
  if (typeof object.eTag === 'string' && object.eTag !== '') ref.eTag = object.eTag.replace(/^"|"$/g, '');
  if (typeof object.size === 'number' && Number.isFinite(object.size)) ref.size = object.size;
  if (eventName) ref.eventName = eventName;
  if (typeof record.region === 'string' && record.region !== '') ref.region = record.region;
  const versionId = object.versionId ?? object.versionid;
  if (typeof versionId === 'string' && versionId !== '') ref.versionId = versionId;
  return ref;
}

function parseEnvelope(value: unknown, where: string): ObjectRef[] {
  if (!isObject(value)) throw new EventError(`${where} is ${Array.isArray(value) ? 'a list' : typeof value}, not an object`);
  if ('events' in value) {
    const events = value.events;
    if (!Array.isArray(events)) throw new EventError(`${where}.events is not a list`);
    if (events.length === 0) throw new EventError(`${where}.events is empty`);
    return events.map((r, i) => parseRecord(r, `${where}.events[${i}]`));
  }
  if ('data' in value && ('specversion' in value || 'type' in value || 'source' in value)) {
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
  throw new EventError(`${where} has neither "events" (OSS trigger) nor "data" (CloudEvent); keys found: ${Object.keys(value).join(', ') || 'none'}`);
}

/** Parses a trigger payload into one reference per record; throws EventError naming what is wrong. */
export function parseEvent(raw: Buffer | string | object): ObjectRef[] {
  const payload = decodePayload(raw);
  if (Array.isArray(payload)) {
    if (payload.length === 0) throw new EventError('the event is an empty list');
    return payload.flatMap((p, i) => parseEnvelope(p, `event[${i}]`));
  }
  return parseEnvelope(payload, 'event');
}

/** True for `ObjectCreated:*` names; a missing name (backfill, hand-made refs) counts as created. */
export function isObjectCreated(ref: ObjectRef): boolean {
  return ref.eventName === undefined || ref.eventName.startsWith('ObjectCreated:');
}
