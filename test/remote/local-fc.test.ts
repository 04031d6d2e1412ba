/**
 * The local FC endpoint must be as strict as FC on what @alicloud/fc2 sends, or the invoker tests
 * prove nothing: a valid request signed by the real SDK passes, and each tampered part is refused.
 */
import FcClient = require('@alicloud/fc2');
import { createHash } from 'node:crypto';
import { startLocalFc, signature, type LocalFc } from '../helpers/local-fc';

const ACCOUNT = '1234567890123456';
const AK = 'LTAIlocalfc';
const SECRET = 'local-fc-secret';

describe('local FC endpoint', () => {
  let fc: LocalFc;
  let runs = 0;
  beforeAll(async () => {
    fc = await startLocalFc({ accountId: ACCOUNT, accessKeyId: AK, accessKeySecret: SECRET, handler: async (e) => { runs++; return e.toString().toUpperCase(); } });
  });
  afterAll(() => fc.close());
  beforeEach(() => { runs = 0; });

  /** A request exactly as fc2 would sign it, then optionally tampered with before sending. */
  async function send(opts: { path?: string; body?: string; tamper?: (h: Record<string, string>) => void; signPath?: string } = {}): Promise<{ status: number; body: string; headers: Headers }> {
    const path = opts.path ?? '/2023-03-30/functions/f/invocations';
    const body = opts.body ?? '{"a":1}';
    const headers: Record<string, string> = {
      accept: 'application/json', date: new Date().toUTCString(), 'x-fc-account-id': ACCOUNT,
      'content-type': 'application/octet-stream', 'content-md5': Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64'),
      'x-fc-invocation-type': 'Sync',
    };
    headers.authorization = FcClient.getSignature(AK, SECRET, 'POST', opts.signPath ?? path.split('?')[0]!, headers, null);
    opts.tamper?.(headers);
    const res = await fetch(fc.endpoint + path, { method: 'POST', headers, body });
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  test('the server-side signature equals fc2\'s own Client.getSignature', () => {
    const headers = { date: 'Fri, 27 Nov 2026 02:00:00 GMT', 'content-md5': 'abc', 'content-type': 'application/octet-stream', 'x-fc-account-id': ACCOUNT, 'x-fc-log-type': 'Tail' };
    expect(`FC ${AK}:${signature(SECRET, 'POST', '/2016-08-15/services/s/functions/f/invocations', headers)}`)
      .toBe(FcClient.getSignature(AK, SECRET, 'POST', '/2016-08-15/services/s/functions/f/invocations', headers, null));
  });

  test('an untampered request runs the handler', async () => {
    const r = await send();
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"A":1}');
    expect(r.headers.get('x-fc-request-id')).toMatch(/^1-/);
    expect(runs).toBe(1);
  });

  test.each([
    ['content-md5 not of this body', { tamper: (h: Record<string, string>) => { h['content-md5'] = Buffer.from(createHash('md5').update('other').digest('hex')).toString('base64'); } }, 400, 'InvalidContentMD5'],
    ['signed x-fc header changed', { tamper: (h: Record<string, string>) => { h['x-fc-invocation-type'] = 'Async'; } }, 403, 'SignatureNotMatch'],
    ['signed for another path', { signPath: '/2023-03-30/functions/g/invocations' }, 403, 'SignatureNotMatch'],
    ['date 20 minutes old', { tamper: (h: Record<string, string>) => { h.date = new Date(Date.now() - 20 * 60_000).toUTCString(); } }, 403, 'RequestTimeTooSkewed'],
    ['other account', { tamper: (h: Record<string, string>) => { h['x-fc-account-id'] = '999'; } }, 403, 'AccountIDMismatch'],
    ['no authorization', { tamper: (h: Record<string, string>) => { delete h.authorization; } }, 401, 'MissingAuthorization'],
    ['not an invoke path', { path: '/2023-03-30/functions/f' }, 404, 'PathNotFound'],
    ['2016 path without a service', { path: '/2016-08-15/functions/f/invocations' }, 404, 'PathNotFound'],
  ])('%s → refused, handler not run', async (_name, opts, status, code) => {
    const r = await send(opts as { tamper?: (h: Record<string, string>) => void; signPath?: string; path?: string });
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body)).toMatchObject({ ErrorCode: code });
    expect(runs).toBe(0);
  });
});
