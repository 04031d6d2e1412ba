import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { crc64 } from '../../../src/local-oss/crc64';
import { Kms } from '../../../src/local-oss/kms';
import { BlobNotFoundError, BlobRangeError, createBlobStore, type BlobStore, type Seal } from '../../../src/local-oss/storage/blob-store';
import { PREFIX_BYTES, type BlobHeader } from '../../../src/local-oss/storage/blob-format';

const ACCOUNT = { region: 'cn-hangzhou', accountId: '1234567890123456' };
const MARKER = Buffer.from('RECOGNISABLE-PLAINTEXT-MARKER-0123456789');

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/** Plaintext with the marker repeated, so any leak of plaintext into storage is found by `includes`. */
function markedPlaintext(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += MARKER.length) MARKER.copy(out, i);
  return out;
}

function headerOf(stored: Buffer): BlobHeader {
  const len = stored.readUInt32BE(PREFIX_BYTES - 4);
  return JSON.parse(stored.subarray(PREFIX_BYTES, PREFIX_BYTES + len).toString()) as BlobHeader;
}

function ciphertextOf(stored: Buffer): Buffer {
  return stored.subarray(PREFIX_BYTES + stored.readUInt32BE(PREFIX_BYTES - 4));
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

const SEALS: Array<[string, Seal | undefined]> = [
  ['plain', undefined],
  ['AES256', { algorithm: 'AES256' }],
  ['SM4', { algorithm: 'SM4' }],
  ['KMS', { algorithm: 'KMS', kmsKeyId: 'cmk-1' }],
  ['KMS+SM4', { algorithm: 'KMS', kmsKeyId: 'cmk-1', dataEncryption: 'SM4' }],
];

describe.each([
  ['memory', false],
  ['disk', true],
])('%s blob store', (_mode, onDisk) => {
  let dir: string | undefined;
  let kms: Kms;
  let store: BlobStore;

  beforeEach(async () => {
    dir = onDisk ? await mkdtemp(join(tmpdir(), 'blob-store-')) : undefined;
    kms = new Kms({ ...ACCOUNT, keys: [{ id: 'cmk-1' }, { id: 'cmk-2' }] });
    store = await createBlobStore({ dataDir: dir, kms });
  });
  afterEach(async () => {
    await store.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test.each(SEALS)('%s: put returns size, uppercase MD5 and decimal CRC-64 of the plaintext, and reads back', async (_n, seal) => {
    const data = randomBytes(100_003);
    const info = await store.put(data, seal);
    expect(info.id).toMatch(/^[0-9a-f]{32}$/);
    expect(info.size).toBe(data.length);
    expect(info.md5Hex).toBe(createHash('md5').update(data).digest('hex').toUpperCase());
    expect(info.crc64).toBe(crc64(data).toString());
    expect(await readAll(store.read(info.id))).toEqual(data);
    expect(await store.size(info.id)).toBe(data.length);
  });

  test.each(SEALS)('%s: ranged reads at and across 16-byte CTR block edges', async (_n, seal) => {
    const data = randomBytes(5000);
    const { id } = await store.put(data, seal);
    for (const [start, end] of [[0, 0], [0, 15], [15, 16], [16, 31], [17, 17], [1, 4098], [4095, 4999], [4999, 4999], [0, 4999]] as const) {
      expect(await readAll(store.read(id, { start, end }))).toEqual(data.subarray(start, end + 1));
    }
  });

  test('body forms: Buffer, Node stream, async iterable (with strings), empty', async () => {
    const parts = [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cdef')];
    const a = await store.put(Buffer.from('abcdef'));
    const b = await store.put(Readable.from(parts));
    const c = await store.put((async function* () { yield 'ab'; yield Buffer.from('cd'); yield 'ef'; })());
    expect(new Set([a.md5Hex, b.md5Hex, c.md5Hex]).size).toBe(1);
    expect((await readAll(store.read(c.id))).toString()).toBe('abcdef');
    const empty = await store.put(Buffer.alloc(0), { algorithm: 'AES256' });
    expect(empty).toMatchObject({ size: 0, md5Hex: 'D41D8CD98F00B204E9800998ECF8427E', crc64: '0' });
    expect((await readAll(store.read(empty.id))).length).toBe(0);
  });

  test('sealed bytes at rest contain no plaintext and differ between two puts of the same content', async () => {
    const data = markedPlaintext(64 * 1024);
    const plain = await store.put(data);
    // The check can fail: unsealed storage does contain the marker.
    expect((await store.readStored(plain.id)).includes(MARKER)).toBe(true);
    for (const [, seal] of SEALS.slice(1)) {
      const one = await store.readStored((await store.put(data, seal)).id);
      const two = await store.readStored((await store.put(data, seal)).id);
      expect(one.includes(MARKER)).toBe(false);
      expect(one.includes(data.subarray(0, 16))).toBe(false);
      expect(ciphertextOf(one).equals(ciphertextOf(two))).toBe(false);
      expect(headerOf(one).sealed!.wrappedKey).not.toBe(headerOf(two).sealed!.wrappedKey);
    }
  });

  test.each([
    ['AES256', { algorithm: 'AES256' } as Seal, 'aes-256-ctr', undefined, 32],
    ['SM4', { algorithm: 'SM4' } as Seal, 'sm4-ctr', undefined, 16],
    ['KMS', { algorithm: 'KMS', kmsKeyId: 'cmk-1' } as Seal, 'aes-256-ctr', 'cmk-1', 32],
    ['KMS+SM4', { algorithm: 'KMS', kmsKeyId: 'cmk-1', dataEncryption: 'SM4' } as Seal, 'sm4-ctr', 'cmk-1', 16],
  ])('%s: data key wrapped by the right master key, data in the right cipher', async (_n, seal, cipher, wrapKey, keyLen) => {
    const data = markedPlaintext(1000);
    const stored = await store.readStored((await store.put(data, seal)).id);
    const h = headerOf(stored).sealed!;
    expect(h.cipher).toBe(cipher);
    expect(h.seal).toEqual(seal);
    const wrapped = Buffer.from(h.wrappedKey, 'base64');
    const dataKey = kms.unwrap(wrapped, wrapKey);
    expect(dataKey.length).toBe(keyLen);
    // Only the named CMK (or, for SSE-OSS, only the service key) opens it.
    expect(() => kms.unwrap(wrapped, wrapKey === undefined ? 'cmk-1' : undefined)).toThrow(/wrong key/);
    if (wrapKey) expect(() => kms.unwrap(wrapped, 'cmk-2')).toThrow(/wrong key/);
    const d = createDecipheriv(cipher, dataKey, Buffer.from(h.iv, 'base64'));
    expect(Buffer.concat([d.update(ciphertextOf(stored)), d.final()])).toEqual(data);
  });

  test('compose concatenates inclusive ranges of several blobs and re-seals', async () => {
    const a = randomBytes(300_000);
    const b = randomBytes(1234);
    const ia = await store.put(a, { algorithm: 'SM4' });
    const ib = await store.put(b);
    const out = await store.compose([{ id: ia.id, start: 100, end: 200_099 }, { id: ib.id }, { id: ia.id, start: 299_999, end: 299_999 }], { algorithm: 'KMS', kmsKeyId: 'cmk-2' });
    const expected = Buffer.concat([a.subarray(100, 200_100), b, a.subarray(299_999)]);
    expect(out.size).toBe(expected.length);
    expect(out.md5Hex).toBe(createHash('md5').update(expected).digest('hex').toUpperCase());
    expect(out.crc64).toBe(crc64(expected).toString());
    expect(await readAll(store.read(out.id))).toEqual(expected);
    expect(headerOf(await store.readStored(out.id)).sealed!.seal).toEqual({ algorithm: 'KMS', kmsKeyId: 'cmk-2' });
  });

  test('compose with a bad range or a missing source fails before writing anything', async () => {
    const a = await store.put(Buffer.from('0123456789'));
    const before = dir ? await filesUnder(dir) : [];
    await expect(store.compose([{ id: a.id, start: 5, end: 10 }])).rejects.toBeInstanceOf(BlobRangeError);
    await expect(store.compose([{ id: a.id, start: 6, end: 5 }])).rejects.toThrow(/range 6-5 is outside blob .* of 10 bytes/);
    await expect(store.compose([{ id: a.id }, { id: 'f'.repeat(32) }])).rejects.toBeInstanceOf(BlobNotFoundError);
    if (dir) expect(await filesUnder(dir)).toEqual(before);
  });

  test('reading a missing blob or a bad range errors the stream; remove is idempotent', async () => {
    const { id } = await store.put(Buffer.from('abc'));
    await expect(readAll(store.read(id, { start: 2, end: 3 }))).rejects.toBeInstanceOf(BlobRangeError);
    await store.remove(id);
    await store.remove(id);
    await expect(readAll(store.read(id))).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.readStored(id)).rejects.toBeInstanceOf(BlobNotFoundError);
    // Ids that are not ours never reach the file system.
    await expect(readAll(store.read('../../etc/passwd'))).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  test('a KMS-sealed blob cannot be read or composed while its key is disabled; SSE-OSS blobs are unaffected', async () => {
    const data = Buffer.from('secret body');
    const k = await store.put(data, { algorithm: 'KMS', kmsKeyId: 'cmk-1' });
    const a = await store.put(data, { algorithm: 'AES256' });
    expect(await store.sealOf(k.id)).toEqual({ algorithm: 'KMS', kmsKeyId: 'cmk-1' });
    expect(await store.sealOf((await store.put(data)).id)).toBeUndefined();
    kms.setKeyState('cmk-1', 'Disabled');
    await expect(readAll(store.read(k.id))).rejects.toMatchObject({ code: 'KeyDisabled', status: 409 });
    await expect(store.compose([{ id: k.id }], { algorithm: 'AES256' })).rejects.toMatchObject({ code: 'KeyDisabled' });
    expect(await readAll(store.read(a.id))).toEqual(data);
    kms.setKeyState('cmk-1', 'Enabled');
    expect(await readAll(store.read(k.id))).toEqual(data);
  });

  test('invalid seals are refused with what to do', async () => {
    await expect(store.put(Buffer.from('x'), { algorithm: 'KMS' })).rejects.toThrow(/needs kmsKeyId resolved by Kms.resolveForEncrypt/);
    await expect(store.put(Buffer.from('x'), { algorithm: 'AES256', dataEncryption: 'SM4' })).rejects.toThrow(/only goes with algorithm KMS/);
    await expect(store.put(Buffer.from('x'), { algorithm: 'DES' as never })).rejects.toThrow(/use AES256, SM4 or KMS/);
  });

  test('a body that fails midway leaves no blob behind', async () => {
    const before = dir ? await filesUnder(dir) : [];
    const failing = (async function* () {
      yield Buffer.alloc(10_000, 1);
      throw new Error('client went away');
    })();
    await expect(store.put(failing, { algorithm: 'AES256' })).rejects.toThrow('client went away');
    if (dir) expect(await filesUnder(dir)).toEqual(before);
  });
});

describe('disk blob store files', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'blob-disk-')); });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('blobs are files named by random ids under <dataDir>/blobs, no temp files left, master key private', async () => {
    const store = await createBlobStore({ dataDir: dir, kms: new Kms(ACCOUNT) });
    const ids = [(await store.put(Buffer.from('a'))).id, (await store.put(Buffer.from('b'), { algorithm: 'AES256' })).id];
    const files = (await filesUnder(dir)).map((f) => relative(dir, f)).sort();
    expect(files).toEqual(['blobs/' + ids[0]!.slice(0, 2) + '/' + ids[0], 'blobs/' + ids[1]!.slice(0, 2) + '/' + ids[1], 'master.key'].sort());
    expect((await stat(join(dir, 'master.key'))).mode & 0o077).toBe(0);
    await store.close();
  });

  test('sealed blobs still decrypt after a restart with a fresh Kms (the master key persists)', async () => {
    const data = markedPlaintext(50_000);
    const first = await createBlobStore({ dataDir: dir, kms: new Kms({ ...ACCOUNT, keys: [{ id: 'cmk-1' }] }) });
    const kmsBlob = await first.put(data, { algorithm: 'KMS', kmsKeyId: 'cmk-1' });
    const sseBlob = await first.put(data, { algorithm: 'SM4' });
    await first.close();
    const second = await createBlobStore({ dataDir: dir, kms: new Kms({ ...ACCOUNT, keys: [{ id: 'cmk-1' }] }) });
    expect(await readAll(second.read(kmsBlob.id))).toEqual(data);
    expect(await readAll(second.read(sseBlob.id, { start: 7, end: 49_000 }))).toEqual(data.subarray(7, 49_001));
    await second.close();
  });

  test('leftover temp files of a crashed write are removed at open', async () => {
    const store = await createBlobStore({ dataDir: dir, kms: new Kms(ACCOUNT) });
    await store.close();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'blobs', 'tmp', 'deadbeef.part'), 'half a blob');
    await (await createBlobStore({ dataDir: dir, kms: new Kms(ACCOUNT) })).close();
    expect(await readdir(join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  test('a corrupted master.key is refused with what to do', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'master.key'), 'short');
    await expect(createBlobStore({ dataDir: dir, kms: new Kms(ACCOUNT) })).rejects.toThrow(/must hold 32 bytes; it holds 5\. Restore it or use a fresh --data-dir/);
  });

  test('a 128 MiB stream goes in and out without the process holding it in memory', async () => {
    // 128 MiB rather than 64: the allocator keeps ~30-40 MiB of freed chunk memory mapped whatever the size (measured
    // at 64 and 256 MiB), so 64 MiB with a size/2 bound would flake; a buffering store would add >= 128 MiB here.
    const SIZE = 128 * 1024 * 1024;
    const CHUNK = 256 * 1024;
    const store = await createBlobStore({ dataDir: dir, kms: new Kms(ACCOUNT), fsync: false });
    const md5In = createHash('md5');
    let produced = 0;
    const body = new Readable({
      read() {
        if (produced >= SIZE) return void this.push(null);
        const chunk = Buffer.alloc(CHUNK, produced / CHUNK); // fresh buffer each time, like a socket
        md5In.update(chunk);
        produced += CHUNK;
        this.push(chunk);
      },
    });
    // Garbage (each chunk, its ciphertext) is collected lazily, so measure what is still reachable: collect first.
    // Without this, RSS rises by whatever V8 has not yet bothered to free, which says nothing about buffering.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
    gc();
    const baseline = { rss: process.memoryUsage().rss, used: used() };
    let peak = { rss: 0, used: 0 };
    const sample = () => { gc(); peak = { rss: Math.max(peak.rss, process.memoryUsage().rss), used: Math.max(peak.used, used()) }; };
    const timer = setInterval(sample, 100);
    try {
      const info = await store.put(body, { algorithm: 'AES256' });
      sample();
      expect(info.size).toBe(SIZE);
      expect(info.md5Hex).toBe(md5In.digest('hex').toUpperCase());
      const md5Out = createHash('md5');
      for await (const c of store.read(info.id)) md5Out.update(c as Buffer);
      expect(md5Out.digest('hex').toUpperCase()).toBe(info.md5Hex);
    } finally {
      clearInterval(timer);
      await store.close();
    }
    expect(peak.rss - baseline.rss).toBeLessThan(SIZE / 2);
    expect(peak.used - baseline.used).toBeLessThan(SIZE / 2);
  });
});
