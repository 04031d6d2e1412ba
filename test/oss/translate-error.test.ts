import { OssOperationError } from '../../src/errors';
import { translateOssError } from '../../src/oss/translate-error';

/** Error shapes as ali-oss 6.23 builds them in lib/client.js `requestError` (oss-api.md §4.5). */
describe('translateOssError', () => {
  it('keeps code, status and request id of an XML error and marks 4xx permanent', () => {
    const sdk = Object.assign(new Error('You have no right'), { name: 'AccessDeniedError', code: 'AccessDenied', status: 403, requestId: 'RID1', params: { headers: { 'x-oss-security-token': 'TOKEN' } } });
    const e = translateOssError('CopyObject', sdk);
    expect(e).toBeInstanceOf(OssOperationError);
    expect(e).toMatchObject({ code: 'OSS_AccessDenied', ossCode: 'AccessDenied', status: 403, requestId: 'RID1', retryable: false, operation: 'CopyObject' });
    expect(e.message).toMatch(/CopyObject failed: AccessDenied \(HTTP 403, request RID1\).*grant the function role/);
    expect(JSON.stringify(e)).not.toContain('TOKEN');
    expect(e.cause).toBeUndefined();
  });

  it.each([
    [{ name: 'InternalErrorError', code: 'InternalError', status: 500 }, true],
    [{ name: 'ServiceUnavailableError', code: 'ServiceUnavailable', status: 503 }, true],
    [{ name: 'UnknownError', status: 503 }, true],
    [{ name: 'RequestError', code: 'RequestError', status: -1 }, true],
    [{ name: 'ResponseTimeoutError' }, true],
    [{ name: 'NoSuchKeyError', code: 'NoSuchKey', status: 404 }, false],
    [{ name: 'PreconditionFailedError', code: 'PreconditionFailed', status: 412 }, false],
    [{ name: 'InvalidObjectStateError', code: 'InvalidObjectState', status: 403 }, false],
    [{ name: 'KeyDisabledError', code: 'KeyDisabled', status: 409 }, false],
  ])('%j retryable=%s', (shape, retryable) => {
    expect(translateOssError('HeadObject', Object.assign(new Error('m'), shape)).retryable).toBe(retryable);
  });

  it.each([
    ['KeyNotFound', 404, /names an existing key/],
    ['AliasNotFound', 404, /alias .* does not exist/],
    ['KeyDisabled', 409, /enable the KMS key/],
    ['KeyPendingDeletion', 409, /cancel the key deletion/],
    ['KeyPendingImport', 409, /import the key material/],
    ['KmsUbsmsInvalidBid', 403, /activate KMS/],
  ])('gives OSS\'s KMS code %s (HTTP %i) a hint (oss-evidence.md §17)', (code, status, hint) => {
    const e = translateOssError('CopyObject', Object.assign(new Error('m'), { name: `${code}Error`, code, status }));
    expect(e.message).toMatch(hint);
  });

  it('names errors without a code by status or name', () => {
    expect(translateOssError('HeadObject', Object.assign(new Error('x'), { name: 'UnknownError', status: 502 })).ossCode).toBe('HTTP502');
    expect(translateOssError('HeadObject', Object.assign(new Error('x'), { name: 'ResponseTimeoutError' })).ossCode).toBe('ResponseTimeoutError');
  });

  it('drops urllib socket diagnostics from network error messages, keeping the cause and the URL', () => {
    const err = Object.assign(new Error(
      'connect ECONNREFUSED 127.0.0.1:1, HEAD http://127.0.0.1:1/a.txt -1 (connected: false, keepalive socket: false, agent status: {"createSocketCount":2,"sockets":{"127.0.0.1:1:":1}}, socketHandledRequests: 1, socketHandledResponses: 0)\nheaders: {}',
    ), { name: 'RequestError', status: -1 });
    const translated = translateOssError('HeadObject', err);
    expect(translated.message).toContain('connect ECONNREFUSED 127.0.0.1:1, HEAD http://127.0.0.1:1/a.txt');
    expect(translated.message).not.toMatch(/agent status|socketHandled|headers:/);
    expect(translated.retryable).toBe(true);
  });
});
