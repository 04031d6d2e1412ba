/**
 * Test helper (not a test): an object's complete user-visible state, read through the real ali-oss client over
 * HTTP (HEAD + GET + GetObjectAcl + GetObjectTagging), and a field-by-field comparison of two such states.
 * The resilience suite uses it to prove "encrypted, nothing else changed" after faults and races.
 */
import { createHash } from 'node:crypto';
import type OSS from 'ali-oss';

/** Standard headers that are part of the object (they must survive an in-place copy). */
export const STANDARD_FIELDS = [
  'content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'content-length',
] as const;

export interface ObjectSnapshot {
  key: string;
  /** Quoted ETag as HEAD returns it. Not compared: a copy may legitimately give a new ETag. */
  etag: string;
  md5: string;
  size: number;
  body: Buffer;
  standard: Record<string, string>;
  userMeta: Record<string, string>;
  storageClass: string;
  tags: Record<string, string>;
  acl: string;
  /** `x-oss-server-side-encryption` (+ key id / data encryption), or undefined when the object is plaintext. */
  sse?: { algorithm: string; kmsKeyId?: string; dataEncryption?: string };
}

type TaggingClient = OSS & { getObjectTagging(name: string): Promise<{ tag: Record<string, string> }> };

/** Reads everything through HTTP; throws ali-oss's NoSuchKey error when the object is gone. */
export async function takeSnapshot(client: OSS, key: string): Promise<ObjectSnapshot> {
  const head = await client.head(key);
  const h = head.res.headers as Record<string, string>;
  const body = (await client.get(key)).content as Buffer;
  const acl = String((await client.getACL(key)).acl);
  const tags = { ...(await (client as TaggingClient).getObjectTagging(key)).tag };
  const standard: Record<string, string> = {};
  for (const f of STANDARD_FIELDS) if (h[f] !== undefined) standard[f] = h[f]!;
  const userMeta: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('x-oss-meta-')) userMeta[k] = v;
  const alg = h['x-oss-server-side-encryption'];
  return {
    key,
    etag: h.etag ?? '',
    md5: createHash('md5').update(body).digest('hex'),
    size: body.length,
    body,
    standard,
    userMeta,
    storageClass: h['x-oss-storage-class'] ?? 'Standard',
    tags,
    acl,
    ...(alg
      ? {
          sse: {
            algorithm: alg,
            ...(h['x-oss-server-side-encryption-key-id'] ? { kmsKeyId: h['x-oss-server-side-encryption-key-id'] } : {}),
            ...(h['x-oss-server-side-data-encryption'] ? { dataEncryption: h['x-oss-server-side-data-encryption'] } : {}),
          },
        }
      : {}),
  };
}

/** Same, but undefined when the object does not exist (for races with deletes). */
export async function snapshotIfExists(client: OSS, key: string): Promise<ObjectSnapshot | undefined> {
  try {
    return await takeSnapshot(client, key);
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

/**
 * Every field that differs between two snapshots, as `field: before → after` lines (empty = identical).
 * SSE and ETag are left out: they are what the function is allowed to change.
 */
export function diffSnapshots(before: ObjectSnapshot, after: ObjectSnapshot): string[] {
  const out: string[] = [];
  const cmp = (field: string, a: unknown, b: unknown) => {
    const sa = JSON.stringify(a);
    const sb = JSON.stringify(b);
    if (sa !== sb) out.push(`${field}: ${sa} → ${sb}`);
  };
  cmp('md5', before.md5, after.md5);
  cmp('size', before.size, after.size);
  for (const f of new Set([...Object.keys(before.standard), ...Object.keys(after.standard)])) cmp(f, before.standard[f], after.standard[f]);
  for (const f of new Set([...Object.keys(before.userMeta), ...Object.keys(after.userMeta)])) cmp(f, before.userMeta[f], after.userMeta[f]);
  cmp('storageClass', before.storageClass, after.storageClass);
  cmp('tags', sortKeys(before.tags), sortKeys(after.tags));
  cmp('acl', before.acl, after.acl);
  return out;
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
