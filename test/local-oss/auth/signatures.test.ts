/**
 * The pure signature functions against ali-oss's own signUtils (lib/common/signUtils.js), for the inputs the
 * end-to-end tests cannot produce through the client: Go-SDK-style bare empty query values, unusual subresource
 * values, and authenticate() edge cases driven with a fixed clock.
 */
import { CredentialStore } from '../../../src/local-oss/auth/credentials';
import { authenticate, type SignedRequest } from '../../../src/local-oss/auth/authenticate';
import { v1StringToSign } from '../../../src/local-oss/auth/v1';
import { v4CanonicalQuery } from '../../../src/local-oss/auth/v4';
import { OssError } from '../../../src/local-oss/errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const signUtils = require('ali-oss/lib/common/signUtils') as {
  buildCanonicalString(method: string, resource: string, request: { headers: object; parameters?: object }, expires?: string): string;
  authorizationV4(ak: string, sk: string, region: string, method: string, request: { headers: object; queries: object }, bucket?: string, object?: string, additional?: string[]): string;
  authorization(ak: string, sk: string, canonical: string): string;
};

const ROOT = { accessKeyId: 'AK', accessKeySecret: 'SK' };
const NOW = new Date('2026-11-27T02:00:00Z');
const V4_DATE = '20261127T020000Z';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof OssError) return e.code;
    throw e;
  }
  return undefined;
}

describe('V1 string to sign', () => {
  test('matches ali-oss buildCanonicalString (subresources sorted, empty → bare, plain params dropped)', () => {
    const headers = { 'content-type': 'text/plain', 'content-md5': 'abc==', 'x-oss-date': NOW.toUTCString(), 'x-oss-meta-b': ' v ', 'x-oss-meta-a': 'w' };
    const ours = v1StringToSign({
      method: 'get', headers, dateLine: NOW.toUTCString(), bucket: 'b', key: '中 文+%.txt',
      query: new URLSearchParams('uploadId=u%2B1&partNumber=2&prefix=zzz&acl=&max-keys=3'),
    });
    const theirs = signUtils.buildCanonicalString('GET', '/b/中 文+%.txt', { headers, parameters: { uploadId: 'u+1', partNumber: 2, acl: '' } });
    expect(ours).toBe(theirs);
  });
});

describe('V4 empty query values (oss-api.md §4.2 quirk)', () => {
  test('canonical query has a bare and an "=" form', () => {
    const q = new URLSearchParams('prefix=&uploads=&list-type=2');
    expect(v4CanonicalQuery(q, 'subresources-bare')).toBe('list-type=2&prefix=&uploads');
    expect(v4CanonicalQuery(q, 'all-bare')).toBe('list-type=2&prefix&uploads');
    expect(v4CanonicalQuery(q, 'all-equals')).toBe('list-type=2&prefix=&uploads=');
  });

  test.each([
    ['ali-oss form prefix=', { 'list-type': 2, prefix: '' }],
    ['Go SDK form bare prefix', { 'list-type': 2, prefix: null }],
  ])('authenticate accepts the %s', (_n, queries) => {
    const headers: Record<string, string> = { 'x-oss-date': V4_DATE, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
    headers['authorization'] = signUtils.authorizationV4('AK', 'SK', 'cn-hangzhou', 'GET', { headers, queries }, 'bkt');
    const req: SignedRequest = { method: 'GET', rawPath: '/', query: new URLSearchParams('list-type=2&prefix='), headers, bucket: 'bkt' };
    expect(authenticate(req, new CredentialStore(ROOT), NOW)).toEqual({ accessKeyId: 'AK', sts: false });
  });
});

describe('authenticate edge cases', () => {
  const creds = new CredentialStore(ROOT);
  const v1 = (over: Partial<SignedRequest> = {}, date = NOW.toUTCString()): SignedRequest => {
    const headers: Record<string, string | undefined> = { 'x-oss-date': date };
    const canonical = signUtils.buildCanonicalString('GET', '/bkt/k', { headers });
    headers['authorization'] = signUtils.authorization('AK', 'SK', canonical);
    return { method: 'GET', rawPath: '/k', query: new URLSearchParams(), headers, bucket: 'bkt', key: 'k', ...over };
  };

  test('a V1 request signed with the Date header instead of x-oss-date', () => {
    const headers: Record<string, string | undefined> = { date: NOW.toUTCString() };
    headers['authorization'] = signUtils.authorization('AK', 'SK', `GET\n\n\n${NOW.toUTCString()}\n/bkt/k`);
    expect(authenticate({ method: 'GET', rawPath: '/k', query: new URLSearchParams(), headers, bucket: 'bkt', key: 'k' }, creds, NOW).accessKeyId).toBe('AK');
  });

  test('skew limit is configurable and checked both ways', () => {
    expect(codeOf(() => authenticate(v1(), creds, new Date(NOW.getTime() + 60_000), 30_000))).toBe('RequestTimeTooSkewed');
    expect(codeOf(() => authenticate(v1(), creds, new Date(NOW.getTime() - 60_000), 30_000))).toBe('RequestTimeTooSkewed');
    expect(codeOf(() => authenticate(v1(), creds, new Date(NOW.getTime() + 60_000), 90_000))).toBeUndefined();
  });

  test('garbled or missing authorization → AccessDenied with a message that says what to send', () => {
    const base = v1();
    for (const auth of ['OSS nocolon', 'Bearer x', 'OSS4-HMAC-SHA256 Signature=abc', 'OSS4-HMAC-SHA256 Credential=AK/2026/cn/oss/x,Signature=a']) {
      let err: unknown;
      try {
        authenticate({ ...base, headers: { ...base.headers, authorization: auth } }, creds, NOW);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OssError);
      expect((err as OssError).code).toBe('AccessDenied');
      expect((err as OssError).message.length).toBeGreaterThan(20);
    }
    expect(codeOf(() => authenticate({ ...base, headers: { 'x-oss-date': NOW.toUTCString() } }, creds, NOW))).toBe('AccessDenied');
    expect(codeOf(() => authenticate(v1({}, 'not a date'), creds, NOW))).toBe('AccessDenied');
  });

  test('V4 credential day must match x-oss-date', () => {
    const headers: Record<string, string | undefined> = { 'x-oss-date': V4_DATE, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
    const auth = signUtils.authorizationV4('AK', 'SK', 'cn-hangzhou', 'GET', { headers, queries: {} }, 'bkt', 'k');
    headers['authorization'] = auth.replace('Credential=AK/20261127/', 'Credential=AK/20261126/');
    expect(codeOf(() => authenticate({ method: 'GET', rawPath: '/k', query: new URLSearchParams(), headers, bucket: 'bkt', key: 'k' }, creds, NOW))).toBe('AccessDenied');
  });

  test('V4 AdditionalHeaders are signed and must be present', () => {
    const headers: Record<string, string | undefined> = { 'x-oss-date': V4_DATE, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', host: 'bkt.oss-cn-hangzhou.aliyuncs.com', range: 'bytes=0-9' };
    headers['authorization'] = signUtils.authorizationV4('AK', 'SK', 'cn-hangzhou', 'GET', { headers, queries: {} }, 'bkt', 'k', ['Range', 'host']);
    expect(headers['authorization']).toContain('AdditionalHeaders=host;range,');
    const req: SignedRequest = { method: 'GET', rawPath: '/k', query: new URLSearchParams(), headers, bucket: 'bkt', key: 'k' };
    expect(authenticate(req, creds, NOW).accessKeyId).toBe('AK');
    expect(codeOf(() => authenticate({ ...req, headers: { ...headers, range: 'bytes=0-99' } }, creds, NOW))).toBe('SignatureDoesNotMatch');
    expect(codeOf(() => authenticate({ ...req, headers: { ...headers, range: undefined } }, creds, NOW))).toBe('AccessDenied');
  });
});

describe('CredentialStore', () => {
  test('issues distinct STS credentials that expire after their TTL', () => {
    const store = new CredentialStore(ROOT);
    const a = store.issueSts(900, NOW);
    const b = store.issueSts(900, NOW);
    expect(a.accessKeyId).toMatch(/^STS\.[A-Za-z0-9]+$/);
    expect(a.accessKeyId).not.toBe(b.accessKeyId);
    expect(a.securityToken).not.toBe(b.securityToken);
    expect(a.expiration).toBe(new Date(NOW.getTime() + 900_000).toISOString());
    expect(store.lookup(a.accessKeyId)).toEqual({ secret: a.accessKeySecret, securityToken: a.securityToken, expiresAt: new Date(a.expiration) });
    expect(store.lookup(ROOT.accessKeyId)).toEqual({ secret: 'SK' });
    expect(store.lookup('nope')).toBeUndefined();
  });

  test('refuses an empty or STS-looking root key', () => {
    expect(() => new CredentialStore({ accessKeyId: '', accessKeySecret: 'x' })).toThrow(/non-empty/);
    expect(() => new CredentialStore({ accessKeyId: 'STS.x', accessKeySecret: 'x' })).toThrow(/STS\./);
  });
});
