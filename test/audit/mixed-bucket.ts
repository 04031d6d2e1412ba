/**
 * A bucket of mixed objects put through the real ali-oss client (AES256, KMS under two keys, KMS+SM4, SM4 and
 * plaintext; several prefixes and storage classes; keys with spaces, '+', '%' and CJK), and the ground truth the
 * tests compare the audit with, counted here from what was uploaded (never from the code under test).
 */
import type OSS from 'ali-oss';
import type { OssClient } from '../helpers/local-oss';

export const KEY_A = 'audit-cmk-a';
export const KEY_B = 'audit-cmk-b';

export interface Spec {
  key: string;
  size: number;
  storageClass: 'Standard' | 'IA' | 'Archive';
  /** 'none' = plaintext. */
  sse: 'none' | 'AES256' | 'SM4' | 'KMS-A' | 'KMS-B' | 'KMS+SM4';
}

/** Key names chosen to break naive URL handling. */
const NAMES = ['plain.txt', 'with space.txt', 'a+b=c.txt', '100%.txt', '季度报告 第1版.pdf', 'x%2By.bin', 'deep/er/file.bin'];
const SSES: Spec['sse'][] = ['none', 'AES256', 'KMS-A', 'none', 'SM4', 'KMS-B', 'KMS+SM4', 'none', 'AES256'];
const CLASSES: Spec['storageClass'][] = ['Standard', 'Standard', 'IA', 'Standard', 'Archive'];

/** A deterministic mix: every prefix gets every key name; encryption and class cycle at different periods. */
export function mixedSpecs(): Spec[] {
  const prefixes = ['logs/2026/', 'media/', 'docs/', '数据/', 'space dir/', ''];
  const out: Spec[] = [];
  let i = 0;
  for (const p of prefixes) {
    for (const n of NAMES) {
      out.push({ key: `${p}${n}`, size: 10 + ((i * 37) % 200), storageClass: CLASSES[i % CLASSES.length] as Spec['storageClass'], sse: SSES[i % SSES.length] as Spec['sse'] });
      i += 1;
    }
  }
  // One prefix that is all plaintext and large, so "largest plaintext first" has a clear leader.
  for (let j = 0; j < 5; j++) out.push({ key: `backup/dump-${j}.sql`, size: 5000 + j, storageClass: 'Standard', sse: 'none' });
  return out;
}

export function sseHeaders(s: Spec['sse']): Record<string, string> {
  switch (s) {
    case 'none': return {};
    case 'AES256': return { 'x-oss-server-side-encryption': 'AES256' };
    case 'SM4': return { 'x-oss-server-side-encryption': 'SM4' };
    case 'KMS-A': return { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': KEY_A };
    case 'KMS-B': return { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': KEY_B };
    case 'KMS+SM4': return { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': KEY_A, 'x-oss-server-side-data-encryption': 'SM4' };
  }
}

export async function upload(c: OssClient, specs: Spec[]): Promise<void> {
  for (let i = 0; i < specs.length; i += 16) {
    await Promise.all(specs.slice(i, i + 16).map((s) =>
      c.put(s.key, Buffer.alloc(s.size, 7), { headers: { ...sseHeaders(s.sse), 'x-oss-storage-class': s.storageClass } } as OSS.PutObjectOptions)));
  }
}

export interface Truth {
  objects: number; bytes: number; plaintextObjects: number; plaintextBytes: number; encryptedObjects: number; encryptedBytes: number;
}

export function truthOf(specs: Spec[], filter: (s: Spec) => boolean = () => true): Truth {
  const t: Truth = { objects: 0, bytes: 0, plaintextObjects: 0, plaintextBytes: 0, encryptedObjects: 0, encryptedBytes: 0 };
  for (const s of specs.filter(filter)) {
    t.objects += 1;
    t.bytes += s.size;
    if (s.sse === 'none') {
      t.plaintextObjects += 1;
      t.plaintextBytes += s.size;
    } else {
      t.encryptedObjects += 1;
      t.encryptedBytes += s.size;
    }
  }
  return t;
}

/** Top-level prefix of a key as the audit groups it at depth 1 (written independently of src/audit/prefix.ts). */
export const topPrefix = (key: string) => (key.includes('/') ? `${key.slice(0, key.indexOf('/'))}/` : '');
