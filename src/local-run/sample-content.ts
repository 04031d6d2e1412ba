import { createHash } from 'node:crypto';

/** Largest object replay seeds; bigger event sizes are truncated to this (replay is a demo, not a load test). */
export const MAX_SEED_BYTES = 8 * 1024 * 1024;

/**
 * Deterministic plaintext for a key: the same key and size always give the same bytes, so the
 * sample events in events/ can carry the real ETag (MD5) and size of what replay seeds.
 */
export function sampleContent(key: string, size: number): Buffer {
  const n = Math.max(0, Math.min(Math.floor(size), MAX_SEED_BYTES));
  const line = Buffer.from(`oss-auto-encrypt sample object ${key}\n`, 'utf8');
  const out = Buffer.alloc(n);
  for (let off = 0; off < n; off += line.length) line.copy(out, off, 0, Math.min(line.length, n - off));
  return out;
}

/** The ETag OSS gives a PutObject/PostObject body: uppercase hex MD5, unquoted as in events. */
export function md5Etag(body: Buffer): string {
  return createHash('md5').update(body).digest('hex').toUpperCase();
}
