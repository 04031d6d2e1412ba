/**
 * Metadata persistence for `--data-dir`: one namespace (e.g. "objects", "buckets") is a directory of small JSON files,
 * one per record, named sha256(key) so that no key (not even '../../etc/x') becomes a path. Every record is loaded at
 * open and served from memory; writes go to a temp file then rename, so a crash leaves the old or the new record.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RecordStore<T> {
  get(key: string): T | undefined;
  entries(): IterableIterator<[string, T]>;
  /** Atomic (temp + rename). Writes of one key are applied in call order. */
  set(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

export class RecordStoreError extends Error {
  readonly code = 'RecordStoreError';
  constructor(message: string) {
    super(message);
    this.name = 'RecordStoreError';
  }
}

const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function openRecordStore<T>(dataDir: string | undefined, namespace: string): Promise<RecordStore<T>> {
  if (!NAMESPACE.test(namespace) || namespace.includes('..')) {
    throw new RecordStoreError(`record namespace "${namespace}" is invalid; use 1-64 letters, digits, '.', '_' or '-'`);
  }
  if (dataDir === undefined) return new MemoryRecordStore<T>();
  const store = new FileRecordStore<T>(join(dataDir, 'records', namespace));
  await store.load();
  return store;
}

class MemoryRecordStore<T> implements RecordStore<T> {
  protected readonly map = new Map<string, T>();
  get(key: string): T | undefined {
    return this.map.get(key);
  }
  entries(): IterableIterator<[string, T]> {
    return this.map.entries();
  }
  async set(key: string, value: T): Promise<void> {
    // Round-trip through JSON so memory mode behaves like disk mode (no shared references, no non-JSON values).
    this.map.set(key, roundTrip(key, value));
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
}

interface StoredRecord<T> {
  key: string;
  value: T;
}

class FileRecordStore<T> extends MemoryRecordStore<T> {
  /** Per-key promise chain, so two quick writes of one key cannot land on disk out of order. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {
    super();
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        await rm(path, { force: true }); // a write interrupted by a crash
        continue;
      }
      if (!name.endsWith('.json')) continue;
      let rec: StoredRecord<T>;
      try {
        rec = JSON.parse(await readFile(path, 'utf8')) as StoredRecord<T>;
      } catch (err) {
        throw new RecordStoreError(`${path} is not valid JSON (${(err as Error).message}); restore or delete it`);
      }
      if (typeof rec?.key !== 'string' || fileName(rec.key) !== name) {
        throw new RecordStoreError(`${path} does not hold a record whose key hashes to its name; restore or delete it`);
      }
      this.map.set(rec.key, rec.value);
    }
  }

  override async set(key: string, value: T): Promise<void> {
    await super.set(key, value);
    const snapshot = this.map.get(key) as T;
    await this.enqueue(key, async () => {
      const path = join(this.dir, fileName(key));
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, JSON.stringify({ key, value: snapshot } satisfies StoredRecord<T>));
      await rename(tmp, path);
    });
  }

  override async delete(key: string): Promise<void> {
    await super.delete(key);
    await this.enqueue(key, () => rm(join(this.dir, fileName(key)), { force: true }));
  }

  private enqueue(key: string, op: () => Promise<void>): Promise<void> {
    const prev = this.pending.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(op);
    this.pending.set(key, next);
    const cleanup = () => { if (this.pending.get(key) === next) this.pending.delete(key); };
    next.then(cleanup, cleanup);
    return next;
  }
}

function fileName(key: string): string {
  return `${createHash('sha256').update(key, 'utf8').digest('hex')}.json`;
}

function roundTrip<T>(key: string, value: T): T {
  const json = JSON.stringify(value);
  if (json === undefined) throw new RecordStoreError(`record "${key}" is not JSON-serialisable (got ${typeof value})`);
  return JSON.parse(json) as T;
}
