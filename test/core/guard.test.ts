/** The copy guard's pure parts (src/core/guard.ts): when a HEAD is settled, how long to wait, which conditions. */
import { copyConditions, isSettled, settleDelayMs } from '../../src/core/guard';
import { copyHeaders } from '../../src/core/decide';
import { parseObjectHead } from '../../src/oss/object-head';

const LM = 'Mon, 30 Nov 2026 06:00:00 GMT';

describe('copy guard', () => {
  it('is settled only when the HEAD was answered in a later second than Last-Modified', () => {
    expect(isSettled({ lastModified: LM, servedAt: 'Mon, 30 Nov 2026 06:00:01 GMT' })).toBe(true);
    expect(isSettled({ lastModified: LM, servedAt: LM })).toBe(false);
    expect(isSettled({ lastModified: LM, servedAt: 'Mon, 30 Nov 2026 05:59:59 GMT' })).toBe(false);
    expect(isSettled({ lastModified: LM })).toBe(false);
    expect(isSettled({ servedAt: LM })).toBe(false);
  });

  it('waits until the server has left Last-Modified\'s second: by the local clock first, never longer than the Date allows', () => {
    const lm = Date.parse(LM);
    // Local clock 300 ms into Last-Modified's second: 700 ms to its end, plus 50 ms.
    expect(settleDelayMs({ lastModified: LM, servedAt: LM }, lm + 300)).toBe(750);
    // Local clock behind (still before LM's second by its reading): never more than the Date-based bound.
    expect(settleDelayMs({ lastModified: LM, servedAt: LM }, lm - 5000)).toBe(1020);
    // Local clock ahead: at least 50 ms, the next HEAD's Date decides.
    expect(settleDelayMs({ lastModified: LM, servedAt: LM }, lm + 5000)).toBe(50);
    // Later rounds use the bound the server's Date gives.
    expect(settleDelayMs({ lastModified: LM, servedAt: LM }, lm + 300, 1)).toBe(1020);
    expect(settleDelayMs({ lastModified: 'Mon, 30 Nov 2026 06:00:02 GMT', servedAt: LM }, lm, 1)).toBe(3020);
    expect(settleDelayMs({ lastModified: LM, servedAt: 'Mon, 30 Nov 2026 06:00:05 GMT' }, lm, 1)).toBe(20);
  });

  it('sends If-Unmodified-Since alone, never with If-Match (which would switch it off under RFC 7232 §6)', () => {
    expect(copyConditions({ lastModified: LM, etag: '"E"' })).toEqual({ 'x-oss-copy-source-if-unmodified-since': LM });
    expect(copyConditions({ etag: '"E"' })).toEqual({ 'x-oss-copy-source-if-match': '"E"' });
  });

  it('copy headers carry the guard, tags with Replace when there are tags, Copy when there are none', () => {
    const head = parseObjectHead({ etag: '"E"', 'content-length': '1', 'last-modified': LM, 'x-oss-tagging-count': '2', 'cache-control': '' });
    const aes = { algorithm: 'AES256' as const };
    const tagged = copyHeaders(head, aes, 'private', { a: '1', 'b c': 'd&e' });
    expect(tagged).toMatchObject({ 'x-oss-copy-source-if-unmodified-since': LM, 'x-oss-tagging-directive': 'Replace', 'x-oss-tagging': 'a=1&b%20c=d%26e', 'x-oss-object-acl': 'private', 'cache-control': '' });
    expect(tagged).not.toHaveProperty('x-oss-copy-source-if-match');
    expect(copyHeaders(head, aes)).toMatchObject({ 'x-oss-tagging-directive': 'Copy' });
    expect(copyHeaders(head, aes)).not.toHaveProperty('x-oss-tagging');
  });
});
