import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEvent } from '../../src/event/parse';
import { alignEvent } from '../../src/local-run/align-event';
import { objectMetaOf, readEventDocument } from '../../src/local-run/event-records';
import type { EventFile } from '../../src/local-run/event-files';
import type { StatView } from '../../src/local-run/stat-view';

const PUBLIC = join(__dirname, '..', 'fixtures', 'public-events');
const record = (key: string, extra: Record<string, unknown> = {}) => ({
  eventName: 'ObjectCreated:PutObject', region: 'cn-hangzhou',
  oss: { bucket: { name: 'my-bucket' }, object: { key, eTag: 'EVENTETAG', size: 10, ...extra } },
});
const file = (payload: unknown): EventFile => {
  const raw = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return { path: 'e.json', raw, refs: parseEvent(raw) };
};
const seeded = (etag: string, size: number): StatView => ({ exists: true, etag, size, userMeta: {} });

describe('event records: the same records, in the same order, as the function parser', () => {
  test.each([
    ['OSS trigger event', { events: [record('a'), record('b')] }],
    ['bare record', record('a')],
    ['CloudEvent', { specversion: '1.0', type: 'oss:ObjectCreated:PutObject', source: 'acs.oss', data: record('a') }],
    ['CloudEvent with data as a JSON string', { specversion: '1.0', source: 'acs.oss', data: JSON.stringify(record('a')) }],
    ['CloudEvent holding {"events": […]}', { specversion: '1.0', source: 'acs.oss', data: { events: [record('a'), record('b')] } }],
    ['batch of CloudEvents (EventBridge → FC)', [{ specversion: '1.0', source: 'acs.oss', data: record('a') }, { specversion: '1.0', source: 'acs.oss', data: record('b') }]],
  ])('%s', (_name, payload) => {
    const f = file(payload);
    const doc = readEventDocument(f.raw);
    expect(doc.records.map((r) => (r.oss as { object: { key: string } }).object.key)).toEqual(f.refs.map((r) => r.key));
  });

  test('objectMeta: mimeType and userMeta of the FC docs example', () => {
    const doc = readEventDocument(readFileSync(join(PUBLIC, 'fc-docs-oss-trigger-usermeta.json')));
    expect(objectMetaOf(doc, 0)).toEqual({ mimeType: 'application/zip', userMeta: { 'x-oss-meta-last-modified': '20250213' } });
    expect(objectMetaOf(readEventDocument(readFileSync(join(PUBLIC, 'fc3-oss.json'))), 0)).toEqual({});
  });
});

describe('alignEvent: point the event at the seeded object', () => {
  test('a different eTag is replaced by the seeded one; the handler parses the seeded values', () => {
    const f = file({ events: [record('a')] });
    const { raw, mismatches } = alignEvent(f, [seeded('SEEDED', 10)]);
    expect(mismatches.get(0)).toEqual({ eTag: { event: 'EVENTETAG', seeded: 'SEEDED' }, substituted: true });
    expect(parseEvent(raw)[0]).toMatchObject({ key: 'a', eTag: 'SEEDED', size: 10 });
  });

  test('size is replaced where it differs (replay seeds at most 8 MiB, and 4 KiB for size 0)', () => {
    const f = file({ events: [record('a', { size: 0 })] });
    const { raw, mismatches } = alignEvent(f, [seeded('SEEDED', 4096)]);
    expect(mismatches.get(0)).toMatchObject({ size: { event: 0, seeded: 4096 }, substituted: true });
    expect(parseEvent(raw)[0]).toMatchObject({ eTag: 'SEEDED', size: 4096 });
  });

  test('only the records that differ change, and a CloudEvent\'s string data stays a string', () => {
    const f = file([{ specversion: '1.0', source: 'acs.oss', data: JSON.stringify(record('a')) }, { specversion: '1.0', source: 'acs.oss', data: record('b') }]);
    const { raw, mismatches } = alignEvent(f, [seeded('SEEDED', 10), seeded('EVENTETAG', 10)]);
    expect([...mismatches.keys()]).toEqual([0]);
    const doc = JSON.parse(raw.toString()) as Array<{ data: unknown }>;
    expect(typeof doc[0]!.data).toBe('string');
    expect(parseEvent(raw).map((r) => r.eTag)).toEqual(['SEEDED', 'EVENTETAG']);
  });

  test('keepEtag: the very same bytes, the mismatch reported as not substituted', () => {
    const f = file({ events: [record('a')] });
    const { raw, mismatches } = alignEvent(f, [seeded('SEEDED', 10)], { keepEtag: true });
    expect(raw).toBe(f.raw);
    expect(mismatches.get(0)).toEqual({ eTag: { event: 'EVENTETAG', seeded: 'SEEDED' }, substituted: false });
  });

  test('nothing to do: same ETag (quotes and case aside), no eTag in the event, or no object', () => {
    const f = file({ events: [record('a', { eTag: 'abc' }), record('b', { eTag: undefined }), record('c')] });
    const { raw, mismatches } = alignEvent(f, [seeded('"ABC"', 10), seeded('X', 10), { exists: false, userMeta: {} }]);
    expect(raw).toBe(f.raw);
    expect(mismatches.size).toBe(0);
  });
});
