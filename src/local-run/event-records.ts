/**
 * The OSS records inside a raw event payload, as mutable JSON objects, in the order the function's parser
 * (src/event/parse.ts) returns their ObjectRefs: record i here is ref i there. Replay reads what the parser drops
 * (objectMeta) and, in embedded mode, points the event at the object it seeded (align-event.ts). Only ever called
 * on a payload parseEvent accepted, so shapes are not re-validated here.
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface EventDocument {
  /** The parsed payload; mutate the records, then serialize(). */
  root: unknown;
  records: Json[];
  /** The payload back as bytes; CloudEvent `data` given as a JSON string stays a string. */
  serialize(): Buffer;
}

export function readEventDocument(raw: Buffer): EventDocument {
  const root = JSON.parse(raw.toString('utf8')) as unknown;
  const records: Json[] = [];
  // CloudEvents whose `data` is a JSON string: re-encoded into the string on serialize.
  const stringData: Array<{ envelope: Json; data: unknown }> = [];
  const visit = (value: unknown): void => {
    if (!isObject(value)) return;
    if ('events' in value && Array.isArray(value.events)) {
      for (const r of value.events) if (isObject(r)) records.push(r);
      return;
    }
    if ('specversion' in value || ('data' in value && ('type' in value || 'source' in value))) {
      let data = value.data;
      if (typeof data === 'string') {
        data = JSON.parse(data) as unknown;
        stringData.push({ envelope: value, data });
      }
      if (isObject(data) && 'events' in data) visit(data);
      else if (isObject(data)) records.push(data);
      return;
    }
    if ('oss' in value) records.push(value);
  };
  if (Array.isArray(root)) root.forEach(visit);
  else visit(root);
  return {
    root,
    records,
    serialize() {
      for (const s of stringData) s.envelope.data = JSON.stringify(s.data);
      return Buffer.from(JSON.stringify(root, null, 2) + '\n', 'utf8');
    },
  };
}

export interface ObjectMeta {
  mimeType?: string;
  /** `objectMeta.userMeta` as the event carries it: full `x-oss-meta-*` names → values. */
  userMeta?: Record<string, string>;
}

/** `oss.object.objectMeta` of record i (the parser drops it; replay seeds with it). */
export function objectMetaOf(doc: EventDocument, i: number): ObjectMeta {
  const oss = doc.records[i]?.oss;
  const object = isObject(oss) && isObject(oss.object) ? oss.object : undefined;
  const meta = object && isObject(object.objectMeta) ? object.objectMeta : undefined;
  if (!meta) return {};
  const out: ObjectMeta = {};
  if (typeof meta.mimeType === 'string' && meta.mimeType) out.mimeType = meta.mimeType;
  if (isObject(meta.userMeta)) {
    const userMeta = Object.fromEntries(Object.entries(meta.userMeta).filter((e): e is [string, string] => typeof e[1] === 'string'));
    if (Object.keys(userMeta).length) out.userMeta = userMeta;
  }
  return out;
}

/** Sets `oss.object.eTag` / `oss.object.size` of record i. */
export function setObjectFields(doc: EventDocument, i: number, fields: { eTag?: string; size?: number }): void {
  const oss = doc.records[i]?.oss;
  if (!isObject(oss) || !isObject(oss.object)) return;
  if (fields.eTag !== undefined) oss.object.eTag = fields.eTag;
  if (fields.size !== undefined) oss.object.size = fields.size;
}
