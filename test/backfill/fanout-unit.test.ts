import { batches, buildEvent, BACKFILL_RULE_ID } from '../../src/backfill/fanout';
import { parseEvent } from '../../src/event/parse';

async function* keys(n: number, len = 5) {
  for (let i = 0; i < n; i++) yield { key: `${String(i).padStart(len, '0')}`, size: i };
}

describe('fan-out batching', () => {
  it('cuts batches by count', async () => {
    const out: number[] = [];
    for await (const b of batches(keys(250), 100, 1e9)) out.push(b.length);
    expect(out).toEqual([100, 100, 50]);
  });

  it('cuts batches by size so an event stays under the payload limit', async () => {
    const out: number[] = [];
    for await (const b of batches(keys(30, 1000), 100, 20_000)) out.push(b.length);
    expect(out.every((n) => n <= 13)).toBe(true);
    expect(out.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('builds a multi-record OSS event the function parses back to the same keys', () => {
    const ks = [{ key: 'a b/中文+%.txt', size: 3 }, { key: 'x' }];
    const ev = buildEvent('my-bucket', ks, { region: 'cn-hangzhou', accountId: '1234567890123456' });
    const refs = parseEvent(JSON.stringify(ev));
    expect(refs.map((r) => [r.bucket, r.key])).toEqual([['my-bucket', 'a b/中文+%.txt'], ['my-bucket', 'x']]);
    expect((ev.events[0] as { oss: { ruleId: string } }).oss.ruleId).toBe(BACKFILL_RULE_ID);
    expect(refs[0].eTag).toBeUndefined();
  });
});
