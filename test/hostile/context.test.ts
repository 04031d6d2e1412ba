/**
 * Bad invocation contexts: no credentials, half-empty credentials, expired or forged STS keys. Each ends in a
 * typed error with a code and a fix, logged as one error line; credentials problems are not retried (counted in
 * the local OSS request log) and nothing is written.
 */
import { InvocationFailedError, AutoEncryptError } from '../../src/errors';
import { ossEvent, startHarness, upload, type Harness } from '../function/harness';

const WRITES = new Set(['PUT', 'POST', 'DELETE']);

describe('hostile or broken invocation contexts', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RETRY_MAX_ATTEMPTS: '5' });
  });
  afterAll(() => h.close());
  beforeEach(() => h.oss.requestLog.clear());

  it.each([
    ['no credentials at all', undefined],
    ['empty access key id and secret', { accessKeyId: '', accessKeySecret: '' }],
    ['an id without a secret', { accessKeyId: 'STS.abc', accessKeySecret: '' }],
  ])('%s → CREDENTIALS_MISSING, logged, no request', async (_name, credentials) => {
    const obj = await upload(h.client, `ctx/${_name.replace(/\W+/g, '-')}.txt`, Buffer.from('x'));
    h.oss.requestLog.clear();
    const before = h.logs.lines().length;
    const err = await h.handler.handler(ossEvent([obj]), { requestId: 'ctx-1', region: h.oss.region, ...(credentials ? { credentials } : {}) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AutoEncryptError);
    expect(err).toMatchObject({ code: 'CREDENTIALS_MISSING' });
    expect((err as Error).message).toMatch(/Attach a RAM role to the function/);
    expect(h.oss.requestLog.entries()).toEqual([]);
    const lines = h.logs.lines().slice(before);
    expect(lines).toEqual([expect.objectContaining({ level: 'error', requestId: 'ctx-1', error: expect.objectContaining({ code: 'CREDENTIALS_MISSING' }) })]);
  });

  it.each([
    ['expired STS credentials', () => h.oss.issueStsCredentials(-60)],
    ['forged STS token', () => ({ ...h.oss.issueStsCredentials(), securityToken: 'CAISforged' })],
    ['unknown access key id', () => ({ accessKeyId: 'LTAInotakey', accessKeySecret: 'x'.repeat(30) })],
  ])('%s → the object fails once with a credentials error code, no retry, no write', async (_name, creds) => {
    const obj = await upload(h.client, `ctx/${_name.replace(/\W+/g, '-')}.txt`, Buffer.from('x'));
    h.oss.requestLog.clear();
    const err = await h.handler.handler(ossEvent([obj]), { requestId: 'ctx-2', region: h.oss.region, credentials: creds() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvocationFailedError);
    const [r] = (err as InvocationFailedError).summary.results;
    expect(r!.outcome).toBe('failed');
    expect(r!.error!.code).toMatch(/^OSS_(InvalidAccessKeyId|SecurityTokenExpired|InvalidSecurityToken|AccessDenied|SignatureDoesNotMatch)$/);
    expect(r!.error!.message).toMatch(/credentials|role|token/i);
    const requests = h.oss.requestLog.entries();
    expect(requests).toHaveLength(1);
    expect(requests.filter((e) => WRITES.has(e.method))).toEqual([]);
  });
});
