import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEventFiles, DEFAULT_EVENTS_DIR } from '../../src/local-run/event-files';
import { EventFileError } from '../../src/local-run/errors';
import { sampleContent, md5Etag } from '../../src/local-run/sample-content';

describe('event files', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'events-')); });

  test('no paths → every *.json in events/, sorted, raw bytes kept', async () => {
    const files = await loadEventFiles([]);
    const names = readdirSync(DEFAULT_EVENTS_DIR).filter((n) => n.endsWith('.json')).sort();
    expect(files.map((f) => f.path)).toEqual(names.map((n) => join(DEFAULT_EVENTS_DIR, n)));
    expect(files[0]!.raw.equals(readFileSync(join(DEFAULT_EVENTS_DIR, names[0]!)))).toBe(true);
  });

  test('the samples cover the issue\'s list: event kinds, multi-record, CloudEvent, special keys, one bucket', async () => {
    const files = await loadEventFiles([]);
    const refs = files.flatMap((f) => f.refs);
    expect(new Set(refs.map((r) => r.eventName))).toEqual(new Set([
      'ObjectCreated:PutObject', 'ObjectCreated:PostObject', 'ObjectCreated:CompleteMultipartUpload',
      'ObjectCreated:CopyObject', 'ObjectCreated:AppendObject', 'ObjectCreated:PutSymlink',
    ]));
    expect(new Set(refs.map((r) => r.bucket))).toEqual(new Set(['my-bucket']));
    expect(files.some((f) => f.refs.length > 1)).toBe(true);
    expect(files.some((f) => (JSON.parse(f.raw.toString()) as { specversion?: string }).specversion === '1.0')).toBe(true);
    const keys = refs.map((r) => r.key);
    expect(keys.some((k) => k.includes(' '))).toBe(true);
    expect(keys.some((k) => k.includes('+'))).toBe(true);
    expect(keys.some((k) => k.includes('%'))).toBe(true);
    expect(keys.some((k) => /[\u4e00-\u9fff]/.test(k))).toBe(true);
  });

  test('PutObject/PostObject samples carry the real MD5 ETag and size of what replay seeds', async () => {
    for (const f of await loadEventFiles([])) {
      for (const r of f.refs) {
        if (r.eventName !== 'ObjectCreated:PutObject' && r.eventName !== 'ObjectCreated:PostObject') continue;
        expect(r.eTag).toBe(md5Etag(sampleContent(r.key, r.size!)));
      }
    }
  });

  test('a directory argument expands to its *.json files', async () => {
    const sub = join(dir, 'sub');
    await mkdir(sub);
    await writeFile(join(sub, 'b.json'), readFileSync(join(DEFAULT_EVENTS_DIR, 'put-object.json')));
    await writeFile(join(sub, 'a.json'), readFileSync(join(DEFAULT_EVENTS_DIR, 'post-object.json')));
    await writeFile(join(sub, 'notes.txt'), 'ignored');
    expect((await loadEventFiles([sub])).map((f) => f.path)).toEqual([join(sub, 'a.json'), join(sub, 'b.json')]);
  });

  test.each([
    ['missing.json', null, /missing\.json: cannot read the event file \(no such file\)/],
    ['broken.json', '{"events": [', /broken\.json: .*not JSON/],
    ['empty.json', '', /empty\.json: .*empty/],
    ['not-oss.json', '{"hello":"world"}', /not-oss\.json: /],
    ['no-key.json', '{"events":[{"eventName":"ObjectCreated:PutObject","oss":{"bucket":{"name":"my-bucket"},"object":{}}}]}', /no-key\.json: .*oss\.object\.key/],
  ])('%s → EventFileError naming the file', async (name, content, message) => {
    const path = join(dir, name);
    if (content !== null) await writeFile(path, content);
    const err = await loadEventFiles([path]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventFileError);
    expect(err).toMatchObject({ code: 'EVENT_FILE_INVALID', path });
    expect((err as Error).message).toMatch(message);
  });

  test('an empty directory is an error, not a silent no-op', async () => {
    const empty = join(dir, 'empty-dir');
    await mkdir(empty);
    await expect(loadEventFiles([empty])).rejects.toMatchObject({ code: 'EVENT_FILE_INVALID', message: expect.stringMatching(/no \*\.json event files/) });
  });
});
