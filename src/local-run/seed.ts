/**
 * Puts the object an event describes into the embedded local OSS before replaying it, with
 * metadata and tags so the before/after view shows what the rewrite preserves. The object type
 * follows the event: AppendObject → an appendable object, PutSymlink → a symlink (plus its target),
 * CompleteMultipartUpload → a real multipart object, CopyObject → the function's own echo, so the
 * object is already encrypted. Only ever used against the embedded emulator (replay creates nothing
 * elsewhere), through the real ali-oss client.
 */
import OSS from 'ali-oss';
import type { ObjectRef } from '../event/parse';
import { sampleContent } from './sample-content';

/** Metadata every seeded object carries; kept ASCII because OSS user metadata headers are. */
export const SEED_CACHE_CONTROL = 'max-age=86400';
export const SEED_USER_META = { 'uploaded-by': 'replay', department: 'finance' } as const;
export const SEED_TAGS = { project: 'oss-auto-encrypt', classification: 'internal' } as const;

/** Multipart parts must be ≥100 KB except the last (oss-api.md §1.4). */
const MIN_PART_BYTES = 100 * 1024;
const DEFAULT_SIZE = 4096;

const MIME_BY_EXT: Record<string, string> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', csv: 'text/csv',
  log: 'text/plain', txt: 'text/plain', json: 'application/json', gz: 'application/gzip', html: 'text/html',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export interface SeedOptions {
  /** The event's `oss.object.objectMeta.mimeType`, when it has one. */
  mimeType?: string;
  /** The event's `oss.object.objectMeta.userMeta` (`x-oss-meta-*` → value), seeded so the view shows it kept. */
  userMeta?: Record<string, string>;
}

export interface SeededObject {
  key: string;
  kind: 'normal' | 'multipart' | 'appendable' | 'symlink' | 'encrypted-echo';
  /** For symlinks: the plaintext object the link points to. */
  symlinkTarget?: string;
}

export function symlinkTargetFor(key: string): string {
  return `symlink-targets/${key}`;
}

export async function seedObject(client: OSS, ref: ObjectRef, opts: SeedOptions = {}): Promise<SeededObject> {
  const size = ref.size && ref.size > 0 ? ref.size : DEFAULT_SIZE;
  const body = sampleContent(ref.key, size);
  const headers = seedHeaders(ref.key, opts.mimeType, opts.userMeta);
  const event = ref.eventName ?? 'ObjectCreated:PutObject';

  // A re-run must start from the state the event describes, not from last run's encrypted copy.
  await client.delete(ref.key).catch(() => undefined);

  if (event === 'ObjectCreated:AppendObject') {
    // Two appends, like a log that grew: the object is Appendable, which CopyObject cannot rewrite.
    const first = Math.max(1, Math.floor(body.length * 0.75));
    const r = await client.append(ref.key, body.subarray(0, first), { headers });
    await client.append(ref.key, body.subarray(first), { position: String(r.nextAppendPosition) });
    return { key: ref.key, kind: 'appendable' };
  }
  if (event === 'ObjectCreated:PutSymlink') {
    const target = symlinkTargetFor(ref.key);
    await client.put(target, sampleContent(target, DEFAULT_SIZE), { headers });
    await client.putSymlink(ref.key, target, { headers: { 'Content-Type': headers['Content-Type']! } });
    return { key: ref.key, kind: 'symlink', symlinkTarget: target };
  }
  if (event === 'ObjectCreated:CompleteMultipartUpload') {
    const { uploadId } = await client.initMultipartUpload(ref.key, { headers });
    const done: Array<{ number: number; etag: string }> = [];
    for (const [i, [start, end]] of partRanges(body.length).entries()) {
      const r = await client.uploadPart(ref.key, uploadId, i + 1, body, start, end);
      done.push({ number: i + 1, etag: r.etag });
    }
    await client.completeMultipartUpload(ref.key, uploadId, done);
    return { key: ref.key, kind: 'multipart' };
  }
  if (event === 'ObjectCreated:CopyObject') {
    // The function's own in-place copy re-triggers the bucket; by then the object is encrypted.
    await client.put(ref.key, body, { headers: { ...headers, 'x-oss-server-side-encryption': 'AES256' } });
    return { key: ref.key, kind: 'encrypted-echo' };
  }
  await client.put(ref.key, body, { headers });
  return { key: ref.key, kind: 'normal' };
}

function seedHeaders(key: string, mimeType: string | undefined, eventMeta: Record<string, string> = {}): Record<string, string> {
  const ext = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase() ?? '';
  return {
    'Content-Type': mimeType ?? MIME_BY_EXT[ext] ?? 'application/octet-stream',
    'Cache-Control': SEED_CACHE_CONTROL,
    'x-oss-tagging': new URLSearchParams(SEED_TAGS).toString(),
    ...Object.fromEntries(Object.entries(SEED_USER_META).map(([k, v]) => [`x-oss-meta-${k}`, v])),
    ...headerSafeUserMeta(eventMeta),
  };
}

/**
 * The event's user metadata that can travel as request headers: `x-oss-meta-` names of header-token characters
 * with printable-ASCII values. Anything else (not seen in any public example) is left out of the seed, which only
 * makes the demo object carry less metadata; the event itself is replayed unchanged.
 */
function headerSafeUserMeta(meta: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(meta).filter(([k, v]) => /^x-oss-meta-[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(k) && /^[\x20-\x7e]*$/.test(v)));
}

/** [start, end) ranges of ≥MIN_PART_BYTES each, the remainder folded into the last part. */
export function partRanges(size: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let off = 0;
  while (size - off >= 2 * MIN_PART_BYTES) {
    ranges.push([off, off + MIN_PART_BYTES]);
    off += MIN_PART_BYTES;
  }
  ranges.push([off, size]);
  return ranges;
}
