/**
 * Raw signed HTTP requests to the local OSS, for what ali-oss cannot send (operations it lacks such as
 * PutBucketOverwriteConfig, a body that does not match its signed Content-MD5 or x-oss-content-sha256, a V4 scope
 * of another region). Signed by ali-oss's own signUtils (not by the server's code), path style.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import type { LocalOss } from '../../src/local-oss';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const signUtils = require('ali-oss/lib/common/signUtils') as {
  buildCanonicalString(method: string, resource: string, request: { headers: object; parameters?: object }): string;
  authorization(ak: string, sk: string, canonical: string): string;
  authorizationV4(ak: string, sk: string, region: string, method: string, request: { headers: object; queries: object }, bucket?: string, object?: string): string;
};

export interface RawRequest {
  method: string;
  bucket?: string;
  key?: string;
  /** Signed subresources (V1) — `null`/'' for a bare `?name`. Plain query parameters go in `query`. */
  subres?: Record<string, string | null>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  v4?: boolean;
  /** V4 scope region; default the server's. */
  region?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
}

export interface RawResponse { status: number; headers: IncomingHttpHeaders; body: string; code?: string; message?: string }

const enc = (s: string) => encodeURIComponent(s);

export function rawRequest(oss: LocalOss, r: RawRequest): Promise<RawResponse> {
  const ak = r.accessKeyId ?? oss.accessKeyId;
  const sk = r.accessKeySecret ?? oss.accessKeySecret;
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
  const headers: Record<string, string> = { ...Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) };
  const subres = r.subres ?? {};
  const query = r.query ?? {};
  const now = new Date();
  if (r.v4) {
    headers['x-oss-date'] = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    headers['x-oss-content-sha256'] ??= 'UNSIGNED-PAYLOAD';
    const queries: Record<string, string | null> = { ...query };
    for (const [k, v] of Object.entries(subres)) queries[k] = v === '' ? null : v;
    headers['authorization'] = signUtils.authorizationV4(ak, sk, r.region ?? oss.region, r.method, { headers, queries }, r.bucket, r.key);
  } else {
    headers['x-oss-date'] = now.toUTCString();
    const resource = `/${r.bucket ? `${r.bucket}/` : ''}${r.key ?? ''}`;
    const parameters = Object.fromEntries(Object.entries(subres).map(([k, v]) => [k, v ?? '']));
    headers['authorization'] = signUtils.authorization(ak, sk, signUtils.buildCanonicalString(r.method, resource, { headers, parameters }));
  }
  const qs = [
    ...Object.entries(subres).map(([k, v]) => (v === null || v === '' ? enc(k) : `${enc(k)}=${enc(v)}`)),
    ...Object.entries(query).map(([k, v]) => `${enc(k)}=${enc(v)}`),
  ].join('&');
  const path = `/${r.bucket ? `${r.bucket}/` : ''}${(r.key ?? '').split('/').map(enc).join('/')}${qs ? `?${qs}` : ''}`;
  const url = new URL(oss.endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: r.method, path, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0, headers: res.headers, body: text,
          code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1],
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
