import { loadPolicy } from '../../src/config';
import { ENCRYPT_REASONS, SKIP_REASONS, copyHeaders, decide, needsRestore, sameEtag, sseSatisfies, taggingHeader, targetFor } from '../../src/core/decide';
import { parseObjectHead } from '../../src/oss/object-head';
import { planParts, partSizeFor } from '../../src/core/multipart';

const headers = (extra: Record<string, string> = {}) => ({
  etag: '"ABCDEF"',
  'content-length': '10',
  'content-type': 'text/plain',
  'x-oss-object-type': 'Normal',
  'x-oss-storage-class': 'Standard',
  ...extra,
});
const ref = { bucket: 'b', key: 'docs/a.txt', eTag: 'abcdef' };
const policy = loadPolicy({});
const aes = { algorithm: 'AES256' } as const;

describe('decide', () => {
  it('encrypts a plain object by copy', () => {
    expect(decide(ref, parseObjectHead(headers()), aes, policy)).toEqual({ action: 'encrypt', reason: ENCRYPT_REASONS.UNENCRYPTED, target: aes, method: 'copy' });
  });

  it('uses multipart above the threshold', () => {
    const p = loadPolicy({ MULTIPART_THRESHOLD_BYTES: '5' });
    expect(decide(ref, parseObjectHead(headers()), aes, p)).toMatchObject({ action: 'encrypt', method: 'multipart' });
  });

  it('skips an object whose ETag differs from the event (quotes and case ignored)', () => {
    expect(decide({ ...ref, eTag: 'OTHER' }, parseObjectHead(headers()), aes, policy)).toEqual({ action: 'skip', reason: SKIP_REASONS.REPLACED });
    expect(sameEtag('abcdef', '"ABCDEF"')).toBe(true);
  });

  it.each([
    [{ 'x-oss-object-type': 'Symlink' }, SKIP_REASONS.SYMLINK],
    [{ 'x-oss-object-type': 'Appendable' }, SKIP_REASONS.APPENDABLE],
    [{ 'x-oss-storage-class': 'Archive' }, SKIP_REASONS.ARCHIVE_NOT_RESTORED],
    [{ 'x-oss-storage-class': 'ColdArchive', 'x-oss-restore': 'ongoing-request="true"' }, SKIP_REASONS.ARCHIVE_NOT_RESTORED],
    [{ 'x-oss-server-side-encryption': 'AES256' }, SKIP_REASONS.ALREADY_ENCRYPTED],
    [{ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'k' }, SKIP_REASONS.ENCRYPTED_DIFFERENTLY],
  ])('%j → skip %s', (extra, reason) => {
    expect(decide(ref, parseObjectHead(headers(extra)), aes, policy)).toEqual({ action: 'skip', reason });
  });

  it('copies a restored archive object', () => {
    const h = parseObjectHead(headers({ 'x-oss-storage-class': 'Archive', 'x-oss-restore': 'ongoing-request="false", expiry-date="Sun, 16 Apr 2017 08:12:33 GMT"' }));
    expect(needsRestore(h)).toBe(false);
    expect(decide(ref, h, aes, policy).action).toBe('encrypt');
  });

  it('re-encrypts a mismatch only with SSE_ON_MISMATCH=reencrypt', () => {
    const p = loadPolicy({ SSE_ON_MISMATCH: 'reencrypt' });
    const cmk = { algorithm: 'KMS', kmsKeyId: 'new' } as const;
    const oldKey = parseObjectHead(headers({ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'old' }));
    expect(decide(ref, oldKey, cmk, p)).toMatchObject({ action: 'encrypt', reason: ENCRYPT_REASONS.MISMATCH });
    expect(decide(ref, oldKey, cmk, policy)).toEqual({ action: 'skip', reason: SKIP_REASONS.ENCRYPTED_DIFFERENTLY });
    const sameKey = parseObjectHead(headers({ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'new' }));
    expect(decide(ref, sameKey, cmk, p)).toEqual({ action: 'skip', reason: SKIP_REASONS.ALREADY_ENCRYPTED });
  });
});

describe('sseSatisfies', () => {
  it('accepts any KMS key when the target names none, but requires matching data encryption', () => {
    expect(sseSatisfies({ algorithm: 'KMS', kmsKeyId: 'managed' }, { algorithm: 'KMS' })).toBe(true);
    expect(sseSatisfies({ algorithm: 'KMS', kmsKeyId: 'managed' }, { algorithm: 'KMS', kmsDataEncryption: 'SM4' })).toBe(false);
    expect(sseSatisfies({ algorithm: 'KMS', kmsKeyId: 'm', dataEncryption: 'SM4' }, { algorithm: 'KMS', kmsDataEncryption: 'SM4' })).toBe(true);
    expect(sseSatisfies({ algorithm: 'SM4' }, { algorithm: 'AES256' })).toBe(false);
    expect(sseSatisfies(undefined, aes)).toBe(false);
  });
});

describe('targetFor', () => {
  it('applies skip rules and per-prefix targets', () => {
    const p = loadPolicy({ SSE_RULES: '[{"prefix":"public/","skip":true},{"prefix":"fin/","algorithm":"SM4"}]' });
    expect(targetFor(p, 'public/x')).toEqual({ skip: true });
    expect(targetFor(p, 'fin/x')).toEqual({ skip: false, target: { algorithm: 'SM4' } });
    expect(targetFor(p, 'x')).toEqual({ skip: false, target: { algorithm: 'AES256' } });
  });
});

describe('copyHeaders', () => {
  it('re-sends all metadata, storage class, SSE, REPLACE, tag Copy and the If-Match ETag', () => {
    const h = parseObjectHead(
      headers({
        'cache-control': 'no-cache',
        'content-disposition': 'attachment; filename="a.txt"',
        'content-encoding': 'gzip',
        'content-language': 'zh-CN',
        expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
        'x-oss-meta-owner': 'alice',
        'x-oss-storage-class': 'IA',
      }),
    );
    expect(copyHeaders(h, { algorithm: 'KMS', kmsKeyId: 'k', kmsDataEncryption: 'SM4' }, 'public-read')).toEqual({
      'content-type': 'text/plain',
      'cache-control': 'no-cache',
      'content-disposition': 'attachment; filename="a.txt"',
      'content-encoding': 'gzip',
      'content-language': 'zh-CN',
      expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
      'x-oss-meta-owner': 'alice',
      'x-oss-storage-class': 'IA',
      'x-oss-server-side-encryption': 'KMS',
      'x-oss-server-side-encryption-key-id': 'k',
      'x-oss-server-side-data-encryption': 'SM4',
      'x-oss-metadata-directive': 'REPLACE',
      'x-oss-tagging-directive': 'Copy',
      'x-oss-copy-source-if-match': '"ABCDEF"',
      'x-oss-object-acl': 'public-read',
    });
  });

  it('omits the ACL when it is default or unknown, and defaults a missing Content-Type', () => {
    const h = parseObjectHead({ etag: '"E"', 'content-length': '1' });
    const out = copyHeaders(h, aes, 'default');
    expect(out['x-oss-object-acl']).toBeUndefined();
    expect(out['content-type']).toBe('application/octet-stream');
    expect(copyHeaders(h, aes)['x-oss-object-acl']).toBeUndefined();
  });
});

describe('taggingHeader', () => {
  it('URL-encodes keys and values', () => {
    expect(taggingHeader({ a: '1', 'k y': 'v&w=x' })).toBe('a=1&k%20y=v%26w%3Dx');
  });
});

describe('multipart planning', () => {
  it('splits inclusively and covers every byte exactly once', () => {
    expect(planParts(250, 100)).toEqual([
      { number: 1, start: 0, end: 99 },
      { number: 2, start: 100, end: 199 },
      { number: 3, start: 200, end: 249 },
    ]);
    expect(planParts(200, 100)).toHaveLength(2);
  });

  it('raises the part size to stay within 10,000 parts', () => {
    const size = 48.8 * 1024 ** 4;
    const part = partSizeFor(size, 64 * 1024 ** 2);
    expect(Math.ceil(size / part)).toBeLessThanOrEqual(10_000);
    expect(partSizeFor(1000, 64)).toBe(64);
  });
});
