import { createFcInvoker, type FcInvokerOptions } from '../../src/remote/fc-invoker';
import { FcRequestError, FcUnreachableError, RemoteConfigError } from '../../src/remote/errors';
import { startLocalFc, type LocalFc, type LocalFcContext } from '../helpers/local-fc';

const ACCOUNT = '1234567890123456';
const AK = 'LTAI5tLocalFcTestKey';
const SECRET = 'local-fc-test-secret';

describe('FcInvoker against the local FC endpoint', () => {
  let fc: LocalFc;
  const seen: Array<{ event: string; context: LocalFcContext }> = [];
  let failNext = 0;

  beforeAll(async () => {
    fc = await startLocalFc({
      accountId: ACCOUNT, accessKeyId: AK, accessKeySecret: SECRET, functions: ['enforcer', 'svc$enforcer'],
      maxAsyncRetryAttempts: 2,
      async handler(event, context) {
        seen.push({ event: event.toString('utf8'), context });
        context.logger.info(`handling ${event.length} bytes`);
        fc.logStream.write(JSON.stringify({ level: 30, msg: 'pino-style line' }));
        if (failNext > 0) { failNext--; throw new TypeError('boom: bad event'); }
        return { echoed: JSON.parse(event.toString('utf8')) as unknown, fn: context.function.name };
      },
    });
  });
  afterAll(() => fc.close());
  beforeEach(() => { seen.length = 0; fc.invocations.length = 0; fc.asyncOutcomes.length = 0; failNext = 0; });

  const base = (): FcInvokerOptions => ({ accountId: ACCOUNT, region: 'cn-hangzhou', endpoint: fc.endpoint, credentials: { accessKeyId: AK, accessKeySecret: SECRET } });

  test('FC 3.0 sync: path without service, payload returned, log tail decoded', async () => {
    const res = await createFcInvoker(base()).invoke('enforcer', '{"a":"é 中文"}');
    expect(fc.invocations).toHaveLength(1);
    expect(fc.invocations[0]).toMatchObject({ apiVersion: '2023-03-30', path: '/2023-03-30/functions/enforcer/invocations', functionName: 'enforcer', async: false });
    expect(res.errorType).toBeUndefined();
    expect(JSON.parse(res.payload)).toEqual({ echoed: { a: 'é 中文' }, fn: 'enforcer' });
    expect(res.requestId).toBe(fc.invocations[0]!.requestId);
    expect(res.logTail).toContain(`FC Invoke Start RequestId: ${res.requestId}`);
    expect(res.logTail).toContain('handling');
    expect(res.logTail).toContain('pino-style line');
    expect(res.status).toBe(200);
  });

  test('FC 3.0 qualifier goes in the query; FC 2.0 service.qualifier goes in the path', async () => {
    await createFcInvoker({ ...base(), qualifier: 'prod' }).invoke('enforcer', '{}');
    await createFcInvoker({ ...base(), service: 'oss-sse', qualifier: 'LATEST' }).invoke('enforcer', '{}');
    expect(fc.invocations.map((i) => i.path)).toEqual([
      '/2023-03-30/functions/enforcer/invocations?qualifier=prod',
      '/2016-08-15/services/oss-sse.LATEST/functions/enforcer/invocations',
    ]);
    expect(fc.invocations[1]).toMatchObject({ service: 'oss-sse', qualifier: 'LATEST', apiVersion: '2016-08-15' });
    expect(seen[0]!.context.service.qualifier).toBe('prod');
  });

  test('a 2to3-renamed function name with $ is addressable', async () => {
    const res = await createFcInvoker(base()).invoke('svc$enforcer', Buffer.from('{"x":1}'));
    expect(JSON.parse(res.payload).fn).toBe('svc$enforcer');
  });

  test('function error: 200 with errorType and FC error JSON, not a throw', async () => {
    failNext = 1;
    const res = await createFcInvoker(base()).invoke('enforcer', '{}');
    expect(res.errorType).toBe('UnhandledInvocationError');
    expect(JSON.parse(res.payload)).toMatchObject({ errorMessage: 'boom: bad event', errorType: 'TypeError' });
    expect(res.logTail).toContain('TypeError: boom: bad event');
  });

  test('async: 202 accepted at once, handler runs later with retries on failure', async () => {
    failNext = 1;
    const res = await createFcInvoker(base()).invoke('enforcer', '{"n":1}', { async: true });
    expect(res.status).toBe(202);
    expect(res.payload).toBe('');
    expect(res.logTail).toBeUndefined();
    expect(fc.invocations[0]!.async).toBe(true);
    await fc.idle();
    expect(fc.asyncOutcomes).toEqual([expect.objectContaining({ requestId: res.requestId, attempts: 2, ok: true })]);
  });

  test('STS credentials: token is sent and checked', async () => {
    const sts = await startLocalFc({ accountId: ACCOUNT, accessKeyId: 'STS.NUabc', accessKeySecret: 's3', securityToken: 'tok-1', handler: async () => 'ok' });
    try {
      const ok = await createFcInvoker({ ...base(), endpoint: sts.endpoint, credentials: { accessKeyId: 'STS.NUabc', accessKeySecret: 's3', securityToken: 'tok-1' } }).invoke('f', '{}');
      expect(ok.payload).toBe('ok');
      await expect(createFcInvoker({ ...base(), endpoint: sts.endpoint, credentials: { accessKeyId: 'STS.NUabc', accessKeySecret: 's3', securityToken: 'tok-2' } }).invoke('f', '{}'))
        .rejects.toMatchObject({ code: 'FC_InvalidSecurityToken' });
    } finally { await sts.close(); }
    // fc2 itself only sends the token for "STS"-prefixed keys; the invoker sends it for any key that has one.
    const other = await startLocalFc({ accountId: ACCOUNT, accessKeyId: 'LTAItemp', accessKeySecret: 's4', securityToken: 'tok-3', handler: async () => 'ok' });
    try {
      const ok = await createFcInvoker({ ...base(), endpoint: other.endpoint, credentials: { accessKeyId: 'LTAItemp', accessKeySecret: 's4', securityToken: 'tok-3' } }).invoke('f', '{}');
      expect(ok.payload).toBe('ok');
    } finally { await other.close(); }
  });

  test('wrong secret: signature rejected, nothing runs', async () => {
    const err = await createFcInvoker({ ...base(), credentials: { accessKeyId: AK, accessKeySecret: 'wrong' } }).invoke('enforcer', '{}').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FcRequestError);
    expect(err).toMatchObject({ code: 'FC_SignatureNotMatch' });
    expect((err as Error).message).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_SECRET/);
    expect(seen).toHaveLength(0);
  });

  test('wrong access key id and wrong account are rejected', async () => {
    await expect(createFcInvoker({ ...base(), credentials: { accessKeyId: 'LTAIother', accessKeySecret: SECRET } }).invoke('enforcer', '{}'))
      .rejects.toMatchObject({ code: 'FC_InvalidAccessKeyID' });
    await expect(createFcInvoker({ ...base(), accountId: '999' }).invoke('enforcer', '{}'))
      .rejects.toMatchObject({ code: 'FC_AccountIDMismatch' });
  });

  test('unknown function → FC_FunctionNotFound with a hint', async () => {
    const err = await createFcInvoker(base()).invoke('nope', '{}').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'FC_FunctionNotFound' });
    expect((err as Error).message).toMatch(/--function/);
  });

  test('unreachable endpoint → FcUnreachableError', async () => {
    const err = await createFcInvoker({ ...base(), endpoint: 'http://127.0.0.1:1', timeoutMs: 2000 }).invoke('enforcer', '{}').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FcUnreachableError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  test('bad options are listed together', async () => {
    let err: unknown;
    try {
      createFcInvoker({ accountId: 'abc', region: 'Hangzhou', credentials: { accessKeyId: '', accessKeySecret: '' }, endpoint: 'nope' });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RemoteConfigError);
    expect((err as RemoteConfigError).problems).toHaveLength(5);
    await expect(createFcInvoker(base()).invoke('bad/name', '{}')).rejects.toMatchObject({ code: 'REMOTE_CONFIG_INVALID' });
  });
});
