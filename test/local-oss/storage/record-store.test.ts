import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { openRecordStore, RecordStoreError } from '../../../src/local-oss/storage/record-store';

interface Obj { size: number; meta: Record<string, string> }

const NASTY_KEYS = ['../../etc/x', '/etc/passwd', 'a/b/../../../c', '..', '中文/文件 名+%.txt', 'x'.repeat(1023), 'C:\\Windows\\x', 'nul\u0000byte'];

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

describe('memory record store', () => {
  test('set/get/entries/delete, values stored as JSON copies', async () => {
    const s = await openRecordStore<Obj>(undefined, 'objects');
    const v: Obj = { size: 1, meta: { a: 'b' } };
    await s.set('k', v);
    v.meta['a'] = 'changed later';
    expect(s.get('k')).toEqual({ size: 1, meta: { a: 'b' } });
    await s.set('k2', { size: 2, meta: {} });
    expect([...s.entries()].map(([k]) => k).sort()).toEqual(['k', 'k2']);
    await s.delete('k');
    expect(s.get('k')).toBeUndefined();
  });

  test('refuses values JSON cannot hold', async () => {
    const s = await openRecordStore<unknown>(undefined, 'x');
    await expect(s.set('f', () => 1)).rejects.toThrow(/record "f" is not JSON-serialisable/);
    await expect(s.set('u', undefined)).rejects.toBeInstanceOf(RecordStoreError);
  });
});

describe('file record store', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'records-')); });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('survives reopen: sets, overwrites and deletes', async () => {
    const a = await openRecordStore<Obj>(dir, 'objects');
    await a.set('one', { size: 1, meta: {} });
    await a.set('two', { size: 2, meta: { k: 'v' } });
    await a.set('one', { size: 11, meta: {} });
    await a.set('gone', { size: 0, meta: {} });
    await a.delete('gone');
    const b = await openRecordStore<Obj>(dir, 'objects');
    expect(new Map(b.entries())).toEqual(new Map([['one', { size: 11, meta: {} }], ['two', { size: 2, meta: { k: 'v' } }]]));
  });

  test('namespaces are separate', async () => {
    await (await openRecordStore<number>(dir, 'buckets')).set('k', 1);
    await (await openRecordStore<number>(dir, 'objects')).set('k', 2);
    expect((await openRecordStore<number>(dir, 'buckets')).get('k')).toBe(1);
    expect((await openRecordStore<number>(dir, 'objects')).get('k')).toBe(2);
  });

  test('hostile keys never become paths: every file stays in <dataDir>/records/<ns>, named by a hash', async () => {
    const s = await openRecordStore<string>(dir, 'objects');
    for (const k of NASTY_KEYS) await s.set(k, `value of ${k}`);
    const files = await allFiles(dir);
    expect(files).toHaveLength(NASTY_KEYS.length);
    for (const f of files) {
      const rel = relative(dir, f);
      expect(rel.startsWith(`records${sep}objects${sep}`)).toBe(true);
      expect(rel.split(sep).pop()).toMatch(/^[0-9a-f]{64}\.json$/);
    }
    const reopened = await openRecordStore<string>(dir, 'objects');
    for (const k of NASTY_KEYS) expect(reopened.get(k)).toBe(`value of ${k}`);
  });

  test('writes of one key land in call order, even when not awaited one by one', async () => {
    const s = await openRecordStore<number>(dir, 'objects');
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.set('hot', i)));
    expect((await openRecordStore<number>(dir, 'objects')).get('hot')).toBe(49);
    await Promise.all([s.set('x', 1), s.delete('x'), s.set('x', 3)]);
    expect((await openRecordStore<number>(dir, 'objects')).get('x')).toBe(3);
  });

  test('a temp file from a crashed write is dropped at open; the last complete record wins', async () => {
    const s = await openRecordStore<number>(dir, 'objects');
    await s.set('k', 1);
    const nsDir = join(dir, 'records', 'objects');
    const [file] = await readdir(nsDir);
    await writeFile(join(nsDir, `${file}.abc.tmp`), '{"key":"k","value":');
    expect((await openRecordStore<number>(dir, 'objects')).get('k')).toBe(1);
    expect(await readdir(nsDir)).toEqual([file]);
  });

  test('a corrupted record is reported with its path and what to do', async () => {
    const s = await openRecordStore<number>(dir, 'objects');
    await s.set('k', 1);
    const nsDir = join(dir, 'records', 'objects');
    const [file] = await readdir(nsDir);
    await writeFile(join(nsDir, file!), '{not json');
    await expect(openRecordStore<number>(dir, 'objects')).rejects.toThrow(new RegExp(`${file}.*not valid JSON.*restore or delete it`));
    await writeFile(join(nsDir, file!), JSON.stringify({ key: 'other', value: 1 }));
    await expect(openRecordStore<number>(dir, 'objects')).rejects.toThrow(/does not hold a record whose key hashes to its name/);
  });

  test('record files hold the key and value as JSON', async () => {
    const s = await openRecordStore<Obj>(dir, 'objects');
    await s.set('a/b.txt', { size: 3, meta: { m: '中' } });
    const nsDir = join(dir, 'records', 'objects');
    const [file] = await readdir(nsDir);
    expect(JSON.parse(await readFile(join(nsDir, file!), 'utf8'))).toEqual({ key: 'a/b.txt', value: { size: 3, meta: { m: '中' } } });
  });

  test.each(['', '..', '../x', 'a/b', 'with space', 'x'.repeat(65)])('namespace %j is refused', async (ns) => {
    await expect(openRecordStore(dir, ns)).rejects.toThrow(/record namespace .* is invalid; use 1-64 letters, digits/);
  });
});
