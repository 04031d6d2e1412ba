/**
 * Test helper: a V1-signed OSS request with header values given as raw bytes, for the cases ali-oss cannot send
 * (metadata that is not UTF-8: ali-oss UTF-8-encodes every header value). Signs exactly as OSS verifies a V1
 * signature: HMAC-SHA1 over `VERB\nContent-MD5\nContent-Type\nDate\n` + the sorted `x-oss-*` headers + the
 * resource, all as bytes (https://help.aliyun.com/document_detail/31951.html).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { LocalOss } from '../../src/local-oss';

export interface RawResponse {
  status: number;
  /** Header values as Node hands them over: one latin1 char per byte. */
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** `Buffer` values are sent byte for byte; strings must be ASCII. */
export type RawHeaders = Record<string, string | Buffer>;

export function latin1(b: Buffer): string {
  return b.toString('latin1');
}

export async function rawOssRequest(
  oss: LocalOss,
  opts: { method: string; bucket: string; key: string; subresource?: string; headers?: RawHeaders; body?: Buffer; credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string } },
): Promise<RawResponse> {
  const creds = opts.credentials ?? { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret };
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1');
  headers.date ??= Buffer.from(new Date().toUTCString());
  if (creds.securityToken) headers['x-oss-security-token'] = Buffer.from(creds.securityToken);
  const body = opts.body ?? Buffer.alloc(0);
  if (opts.body) headers['content-length'] = Buffer.from(String(body.length));
  const ossHeaders = Object.keys(headers)
    .filter((k) => k.startsWith('x-oss-'))
    .sort()
    .map((k) => Buffer.concat([Buffer.from(`${k}:`), headers[k]!, Buffer.from('\n')]));
  const resource = `/${opts.bucket}/${opts.key}${opts.subresource ? `?${opts.subresource}` : ''}`;
  const toSign = Buffer.concat([
    Buffer.from(`${opts.method}\n`),
    headers['content-md5'] ?? Buffer.alloc(0),
    Buffer.from('\n'),
    headers['content-type'] ?? Buffer.alloc(0),
    Buffer.from('\n'),
    headers.date,
    Buffer.from('\n'),
    ...ossHeaders,
    Buffer.from(resource, 'utf8'),
  ]);
  const signature = createHmac('sha1', creds.accessKeySecret).update(toSign).digest('base64');
  const url = new URL(oss.endpoint);
  const path = `/${opts.key.split('/').map(encodeURIComponent).join('/')}${opts.subresource ? `?${opts.subresource}` : ''}`;
  const sent: Record<string, string> = { host: `${opts.bucket}.oss-${oss.region}.aliyuncs.com`, authorization: `OSS ${creds.accessKeyId}:${signature}` };
  for (const [k, v] of Object.entries(headers)) sent[k] = latin1(v);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: opts.method, path, headers: sent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    // write() then end(): Node re-reads Content-Disposition as UTF-8 when end() gets the body (nodejs/node#46528),
    // and flushHeaders() writes the header block as UTF-8; either would mangle the bytes this helper exists to send.
    if (body.length) req.write(body);
    req.end();
  });
}

/** The raw bytes of one response header (Node gives latin1 chars, one per byte). */
export function headerBytes(res: { headers: http.IncomingHttpHeaders } | Record<string, unknown>, name: string): Buffer | undefined {
  const h = ('headers' in res && typeof res.headers === 'object' ? res.headers : res) as Record<string, unknown>;
  const v = h[name];
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : undefined;
}
