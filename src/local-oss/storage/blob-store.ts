/**
 * Object bytes of the local OSS: in memory, or under `<dataDir>/blobs` when a data directory is given.
 * Blobs are named by random ids — never by object key — so no key can reach the file system.
 * Every byte streams: put/compose/read hold one chunk at a time (disk mode), so a 2 GiB object needs no 2 GiB of RAM.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc64 } from '../crc64';
import type { Kms } from '../kms';
import { decodeHeader, encodeHeader, headerLength, PREFIX_BYTES, type BlobHeader } from './blob-format';
import { newSealedWriter, sealedReaderAt, validateSeal, type Seal } from './seal-cipher';

export type { Seal } from './seal-cipher';

export interface BlobInfo {
  id: string;
  size: number;
  /** Uppercase hex MD5 of the plaintext (the ETag of a PutObject object, unquoted). */
  md5Hex: string;
  /** Decimal uint64 CRC-64/XZ of the plaintext, as x-oss-hash-crc64ecma. */
  crc64: string;
}

export type BlobBody = NodeJS.ReadableStream | AsyncIterable<Buffer | string> | Buffer;

export interface BlobStore {
  /** Streams body into storage; never buffers it whole (disk mode). With `seal`, the bytes at rest are encrypted with a
   *  fresh per-blob data key (AES-256-CTR, or SM4-CTR for SM4 / KMS+SM4), the data key wrapped by Kms.wrap. */
  put(body: BlobBody, seal?: Seal): Promise<BlobInfo>;
  /** New blob = concatenation of (inclusive) byte ranges of existing blobs; streams and re-seals with `seal`. */
  compose(sources: Array<{ id: string; start?: number; end?: number }>, seal?: Seal): Promise<BlobInfo>;
  /** Plaintext stream of the blob or of an inclusive byte range. Unknown id, bad range, or a KMS seal whose key can't
   *  decrypt now (Kms.checkForDecrypt: disabled / pending deletion / KMS off) → the stream errors before any data.
   *  Call size()/kms.checkForDecrypt first to answer such errors before sending response headers. */
  read(id: string, range?: { start: number; end: number }): NodeJS.ReadableStream;
  /** Plaintext size of a blob. */
  size(id: string): Promise<number>;
  /** How the blob is sealed at rest (undefined = not encrypted). */
  sealOf(id: string): Promise<Seal | undefined>;
  /** Idempotent: removing an unknown id is not an error (a retried delete must not fail). */
  remove(id: string): Promise<void>;
  /** The bytes as stored at rest (header + ciphertext when sealed), for tests proving encryption at rest. */
  readStored(id: string): Promise<Buffer>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  readonly code = 'BlobNotFound';
  constructor(readonly id: string) {
    super(`blob ${id} does not exist in the local OSS store (deleted, or the data directory lost it)`);
    this.name = 'BlobNotFoundError';
  }
}

export class BlobRangeError extends RangeError {
  readonly code = 'BlobRange';
  constructor(id: string, start: number, end: number, size: number) {
    super(`range ${start}-${end} is outside blob ${id} of ${size} bytes (inclusive ends, 0 <= start <= end < size)`);
    this.name = 'BlobRangeError';
  }
}

const ID_PATTERN = /^[0-9a-f]{32}$/;
const READ_CHUNK = 64 * 1024;

export async function createBlobStore(opts: { dataDir?: string; kms: Kms; fsync?: boolean }): Promise<BlobStore> {
  if (opts.dataDir === undefined) return new MemoryBlobStore(opts.kms);
  const store = new DiskBlobStore(opts.dataDir, opts.kms, opts.fsync ?? true);
  await store.open();
  return store;
}

/** Shared streaming logic; subclasses only store and fetch bytes. */
abstract class BaseBlobStore implements BlobStore {
  protected closed = false;
  constructor(protected readonly kms: Kms) {}

  protected abstract begin(id: string, header: Buffer): Promise<BlobWriter>;
  protected abstract loadHeader(id: string): Promise<{ header: BlobHeader; dataOffset: number; size: number }>;
  protected abstract rawChunks(id: string, dataOffset: number, start: number, end: number): AsyncIterable<Buffer>;
  abstract remove(id: string): Promise<void>;
  abstract readStored(id: string): Promise<Buffer>;

  async put(body: BlobBody, seal?: Seal): Promise<BlobInfo> {
    this.assertOpen();
    if (seal) validateSeal(seal);
    const id = randomBytes(16).toString('hex');
    const sealed = seal ? newSealedWriter(seal, this.kms) : undefined;
    const writer = await this.begin(id, encodeHeader({ v: 1, ...(sealed ? { sealed: sealed.header } : {}) }));
    const md5 = createHash('md5');
    let crc = 0n;
    let size = 0;
    try {
      for await (const raw of chunksOf(body)) {
        const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
        if (chunk.length === 0) continue;
        md5.update(chunk);
        crc = crc64(chunk, crc);
        size += chunk.length;
        await writer.write(sealed ? sealed.cipher.update(chunk) : chunk);
      }
      if (sealed) {
        const tail = sealed.cipher.final(); // empty for CTR, kept for correctness
        if (tail.length) await writer.write(tail);
      }
      await writer.commit();
    } catch (err) {
      await writer.abort();
      throw err;
    }
    return { id, size, md5Hex: md5.digest('hex').toUpperCase(), crc64: crc.toString() };
  }

  async compose(sources: Array<{ id: string; start?: number; end?: number }>, seal?: Seal): Promise<BlobInfo> {
    this.assertOpen();
    // Check every source and range first, so a bad part fails before anything is written.
    const ranges: Array<{ id: string; start: number; end: number }> = [];
    for (const s of sources) {
      const size = await this.size(s.id);
      const start = s.start ?? 0;
      const end = s.end ?? size - 1;
      await this.assertDecryptable(s.id);
      if (size === 0 && s.start === undefined && s.end === undefined) continue;
      checkRange(s.id, start, end, size);
      ranges.push({ id: s.id, start, end });
    }
    const self = this;
    async function* concat(): AsyncIterable<Buffer> {
      for (const r of ranges) yield* self.plaintext(r.id, r);
    }
    return this.put(concat(), seal);
  }

  read(id: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    return Readable.from(this.plaintext(id, range), { objectMode: false });
  }

  async size(id: string): Promise<number> {
    this.assertOpen();
    return (await this.loadHeader(checkId(id))).size;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async sealOf(id: string): Promise<Seal | undefined> {
    this.assertOpen();
    const seal = (await this.loadHeader(checkId(id))).header.sealed?.seal;
    return seal && { ...seal };
  }

  private async assertDecryptable(id: string): Promise<void> {
    const seal = await this.sealOf(id);
    if (seal?.algorithm === 'KMS') this.kms.checkForDecrypt(seal.kmsKeyId);
  }

  private async *plaintext(id: string, range?: { start: number; end: number }): AsyncGenerator<Buffer> {
    this.assertOpen();
    const { header, dataOffset, size } = await this.loadHeader(checkId(id));
    if (header.sealed?.seal.algorithm === 'KMS') this.kms.checkForDecrypt(header.sealed.seal.kmsKeyId);
    if (!range && size === 0) return;
    const start = range ? range.start : 0;
    const end = range ? range.end : size - 1;
    checkRange(id, start, end, size);
    if (!header.sealed) {
      yield* this.rawChunks(id, dataOffset, start, end);
      return;
    }
    const { decipher, blockStart, skip } = sealedReaderAt(header.sealed, this.kms, start);
    let toSkip = skip;
    for await (const chunk of this.rawChunks(id, dataOffset, blockStart, end)) {
      let plain = decipher.update(chunk);
      if (toSkip > 0) {
        const n = Math.min(toSkip, plain.length);
        plain = plain.subarray(n);
        toSkip -= n;
      }
      if (plain.length) yield plain;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the blob store is closed');
  }
}

interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

class MemoryBlobStore extends BaseBlobStore {
  private readonly blobs = new Map<string, { prefix: Buffer; header: BlobHeader; data: Buffer }>();

  protected async begin(id: string, headerBytes: Buffer): Promise<BlobWriter> {
    const chunks: Buffer[] = [];
    return {
      write: async (c) => { chunks.push(Buffer.from(c)); },
      commit: async () => {
        const header = decodeHeader(headerBytes.subarray(PREFIX_BYTES), `blob ${id}`);
        this.blobs.set(id, { prefix: headerBytes, header, data: Buffer.concat(chunks) });
      },
      abort: async () => { chunks.length = 0; },
    };
  }

  protected async loadHeader(id: string) {
    const b = this.blobs.get(id);
    if (!b) throw new BlobNotFoundError(id);
    return { header: b.header, dataOffset: 0, size: b.data.length };
  }

  protected async *rawChunks(id: string, _dataOffset: number, start: number, end: number): AsyncIterable<Buffer> {
    const b = this.blobs.get(id);
    if (!b) throw new BlobNotFoundError(id);
    for (let i = start; i <= end; i += READ_CHUNK) yield b.data.subarray(i, Math.min(end + 1, i + READ_CHUNK));
  }

  async remove(id: string): Promise<void> {
    this.blobs.delete(id);
  }

  async readStored(id: string): Promise<Buffer> {
    const b = this.blobs.get(checkId(id));
    if (!b) throw new BlobNotFoundError(id);
    return Buffer.concat([b.prefix, b.data]);
  }
}

class DiskBlobStore extends BaseBlobStore {
  private readonly blobDir: string;
  private readonly tmpDir: string;

  constructor(private readonly dataDir: string, kms: Kms, private readonly fsync: boolean) {
    super(kms);
    this.blobDir = join(dataDir, 'blobs');
    this.tmpDir = join(dataDir, 'blobs', 'tmp');
  }

  async open(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    // Leftovers of writes interrupted by a crash; never visible under a blob id.
    for (const f of await readdir(this.tmpDir)) await rm(join(this.tmpDir, f), { force: true });
    this.kms.setMasterSecret(await loadOrCreateMasterSecret(this.dataDir));
  }

  private pathOf(id: string): string {
    return join(this.blobDir, id.slice(0, 2), id);
  }

  protected async begin(id: string, headerBytes: Buffer): Promise<BlobWriter> {
    const tmp = join(this.tmpDir, `${id}.part`);
    const fh: FileHandle = await open(tmp, 'wx', 0o600);
    let closed = false;
    const closeOnce = async () => { if (!closed) { closed = true; await fh.close(); } };
    try {
      await fh.write(headerBytes);
    } catch (err) {
      await closeOnce();
      await rm(tmp, { force: true });
      throw err;
    }
    return {
      write: async (c) => {
        let off = 0;
        while (off < c.length) off += (await fh.write(c, off, c.length - off)).bytesWritten;
      },
      commit: async () => {
        if (this.fsync) await fh.sync();
        await closeOnce();
        const final = this.pathOf(id);
        await mkdir(join(this.blobDir, id.slice(0, 2)), { recursive: true });
        await rename(tmp, final); // atomic: readers see the whole blob or none
      },
      abort: async () => {
        await closeOnce().catch(() => undefined);
        await rm(tmp, { force: true });
      },
    };
  }

  protected async loadHeader(id: string) {
    const path = this.pathOf(id);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(id);
      throw err;
    }
    try {
      const prefix = Buffer.alloc(PREFIX_BYTES);
      await fh.read(prefix, 0, PREFIX_BYTES, 0);
      const len = headerLength(prefix, path);
      const json = Buffer.alloc(len);
      await fh.read(json, 0, len, PREFIX_BYTES);
      const { size: fileSize } = await fh.stat();
      const dataOffset = PREFIX_BYTES + len;
      return { header: decodeHeader(json, path), dataOffset, size: fileSize - dataOffset };
    } finally {
      await fh.close();
    }
  }

  protected async *rawChunks(id: string, dataOffset: number, start: number, end: number): AsyncIterable<Buffer> {
    const stream = createReadStream(this.pathOf(id), { start: dataOffset + start, end: dataOffset + end, highWaterMark: READ_CHUNK });
    for await (const chunk of stream) yield chunk as Buffer;
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(checkId(id)), { force: true });
  }

  async readStored(id: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(checkId(id)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(id);
      throw err;
    }
  }
}

/** `<dataDir>/master.key`: the root of all KMS key material for this data directory (see kms.ts). */
async function loadOrCreateMasterSecret(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, 'master.key');
  try {
    const s = await stat(path);
    if (s.isFile()) {
      const secret = await readFile(path);
      if (secret.length !== 32) throw new Error(`${path} must hold 32 bytes; it holds ${secret.length}. Restore it or use a fresh --data-dir`);
      return secret;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, secret, { mode: 0o600 });
  await rename(tmp, path);
  return secret;
}

function checkId(id: string): string {
  // Ids come from put(); anything else would be a caller bug, and must never become a path.
  if (!ID_PATTERN.test(id)) throw new BlobNotFoundError(id);
  return id;
}

function checkRange(id: string, start: number, end: number, size: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end >= size) {
    throw new BlobRangeError(id, start, end, size);
  }
}

async function* chunksOf(body: BlobBody): AsyncIterable<Buffer | string> {
  if (Buffer.isBuffer(body)) {
    yield body;
    return;
  }
  yield* body as AsyncIterable<Buffer | string>;
}
