import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventError } from '../../src/errors';
import { isObjectCreated, parseEvent } from '../../src/event/parse';

/** The FC documentation sample (oss-api.md §3), cloned and broken per negative test. */
const record = () => ({
  eventName: 'ObjectCreated:PutObject',
  eventSource: 'acs:oss',
  eventTime: '2022-08-13T06:45:43.000Z',
  eventVersion: '1.0',
  oss: {
    bucket: { arn: 'acs:oss:cn-hangzhou:123456789:testbucket', name: 'testbucket', ownerIdentity: '164901546557****' },
    object: { deltaSize: 122539, eTag: '688A7BF4F233DC9C88A80BF985AB0000', key: 'source/a.png', size: 122539 },
    ossSchemaVersion: '1.0',
    ruleId: '9adac8e253828f4f7c0466d941fa3db81161****',
  },
  region: 'cn-hangzhou',
  requestParameters: { sourceIPAddress: '140.205.XX.XX' },
  responseElements: { requestId: '58F9FF2D3DF792092E12044C' },
  userIdentity: { principalId: '164901546557****' },
});
const ossEvent = (...records: unknown[]) => ({ events: records });

function errorOf(raw: Buffer | string | object): EventError {
  try {
    parseEvent(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(EventError);
    expect((e as EventError).code).toBe('EVENT_INVALID');
    return e as EventError;
  }
  throw new Error('expected EventError');
}

describe('parseEvent: OSS trigger events', () => {
  const expected = { bucket: 'testbucket', key: 'source/a.png', eTag: '688A7BF4F233DC9C88A80BF985AB0000', size: 122539, eventName: 'ObjectCreated:PutObject', region: 'cn-hangzhou', accountId: '123456789', eventTime: Date.parse('2022-08-13T06:45:43.000Z') };

  it('accepts a Buffer (as FC delivers it), a string and a parsed object alike', () => {
    const ev = ossEvent(record());
    expect(parseEvent(Buffer.from(JSON.stringify(ev)))).toEqual([expected]);
    expect(parseEvent(JSON.stringify(ev))).toEqual([expected]);
    expect(parseEvent(ev)).toEqual([expected]);
  });

  it('returns every record, not just the first', () => {
    const second = record();
    second.oss.object.key = 'source/b.png';
    second.oss.bucket.name = 'other';
    const refs = parseEvent(ossEvent(record(), second));
    expect(refs.map((r) => `${r.bucket}/${r.key}`)).toEqual(['testbucket/source/a.png', 'other/source/b.png']);
  });

  it('passes keys through verbatim, URL-encoded or raw (decoding is decided after a 404)', () => {
    const raw = record();
    raw.oss.object.key = '图片/产品 展示/a+b%.png';
    const encoded = record();
    encoded.oss.object.key = '%E5%9B%BE%E7%89%87/a%20b.png';
    expect(parseEvent(ossEvent(raw))[0]!.key).toBe('图片/产品 展示/a+b%.png');
    expect(parseEvent(ossEvent(encoded))[0]!.key).toBe('%E5%9B%BE%E7%89%87/a%20b.png');
  });

  it('strips quotes from an eTag and tolerates missing optional fields', () => {
    const r = record() as Record<string, unknown> & ReturnType<typeof record>;
    r.oss.object = { key: 'k', eTag: '"ABC"' } as never;
    delete (r as Record<string, unknown>).region;
    expect(parseEvent(ossEvent(r))).toEqual([{ bucket: 'testbucket', key: 'k', eTag: 'ABC', eventName: 'ObjectCreated:PutObject', accountId: '123456789', eventTime: Date.parse('2022-08-13T06:45:43.000Z') }]);
  });

  it('keeps a valid eventTime (delete mode finds the upload\'s version by it) and ignores an invalid one', () => {
    const r = record() as Record<string, unknown> & ReturnType<typeof record>;
    (r as Record<string, unknown>).eventTime = 'not a date';
    expect(parseEvent(ossEvent(r))[0]).not.toHaveProperty('eventTime');
  });

  it('reads the sample event files in events/', () => {
    const dir = join(__dirname, '../../events');
    const put = parseEvent(readFileSync(join(dir, 'put-object.json')));
    expect(put.length).toBeGreaterThan(0);
    expect(put[0]!.eventName).toMatch(/^ObjectCreated:/);
    const multi = parseEvent(readFileSync(join(dir, 'multi-record.json')));
    expect(multi.length).toBeGreaterThan(1);
  });
});

describe('parseEvent: CloudEvent wrapping', () => {
  it('unwraps an EventBridge CloudEvent whose data is the OSS record', () => {
    const ce = { specversion: '1.0', id: 'x', source: 'acs.oss', type: 'oss:ObjectCreated:PutObject', data: record() };
    expect(parseEvent(JSON.stringify(ce))).toEqual([expect.objectContaining({ bucket: 'testbucket', key: 'source/a.png', eventName: 'ObjectCreated:PutObject' })]);
  });

  it('takes the event name from the CloudEvent type when data has none, and accepts string data and batches', () => {
    const data = record() as Record<string, unknown>;
    delete data.eventName;
    const ce = { specversion: '1.0', type: 'oss:ObjectCreated:PostObject', data: JSON.stringify(data) };
    expect(parseEvent([ce, ce]).map((r) => r.eventName)).toEqual(['ObjectCreated:PostObject', 'ObjectCreated:PostObject']);
  });

  it('unwraps a CloudEvent whose data holds {"events":[…]}', () => {
    expect(parseEvent({ specversion: '1.0', data: ossEvent(record(), record()) })).toHaveLength(2);
  });

  it('reads events/cloudevent-put-object.json with its CJK key intact', () => {
    const refs = parseEvent(readFileSync(join(__dirname, '../../events/cloudevent-put-object.json')));
    expect(refs[0]!.key).toBe('图片/产品 展示/封面.webp');
  });
});

describe('parseEvent: malformed events', () => {
  it.each<[string, Buffer | string | object, RegExp]>([
    ['empty buffer', Buffer.alloc(0), /event is empty/],
    ['not JSON', 'hello', /not JSON/],
    ['a JSON number', '42', /is number, not an object/],
    ['no events and no data', { foo: 1 }, /neither "events".*keys found: foo/],
    ['events not a list', { events: {} }, /events is not a list/],
    ['events empty', { events: [] }, /events is empty/],
    ['record not an object', { events: ['x'] }, /events\[0\] is not an object/],
    ['record without oss', { events: [{ eventName: 'ObjectCreated:PutObject' }] }, /no "oss" section/],
    ['empty list', [], /empty list/],
    ['CloudEvent data not JSON', { specversion: '1.0', data: '{' }, /data \(CloudEvent\) is a string that is not JSON/],
  ])('%s', (_name, raw, message) => {
    const err = errorOf(raw);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/Expected an OSS trigger event/);
  });

  it('names the missing bucket or key and the record index', () => {
    const noBucket = record();
    (noBucket.oss.bucket as { name?: string }).name = undefined;
    expect(errorOf(ossEvent(record(), noBucket)).message).toMatch(/event\.events\[1\] is missing oss\.bucket\.name/);
    const noKey = record();
    noKey.oss.object.key = '';
    expect(errorOf(ossEvent(noKey)).message).toMatch(/missing oss\.object\.key/);
  });
});

describe('isObjectCreated', () => {
  it('accepts ObjectCreated:* and refs without a name, rejects other names', () => {
    expect(isObjectCreated({ bucket: 'b', key: 'k', eventName: 'ObjectCreated:CopyObject' })).toBe(true);
    expect(isObjectCreated({ bucket: 'b', key: 'k' })).toBe(true);
    expect(isObjectCreated({ bucket: 'b', key: 'k', eventName: 'ObjectRemoved:DeleteObject' })).toBe(false);
  });
});
