/**
 * The one error renderer: an OssError → the status, headers and body OSS sends (oss-api.md §1.5). HEAD errors
 * have no body; the same XML travels base64-encoded in `x-oss-err`, next to `x-oss-ec`.
 */
import { OssError } from './errors';
import { xmlDocument, type XmlNode } from './xml';

/** ECs for codes raised without one, from real responses quoted in oss-api.md §1.5 and the OSS EC pages. */
const DEFAULT_EC: Record<string, string> = {
  NoSuchKey: '0026-00000001',
  NoSuchBucket: '0015-00000101',
  SignatureDoesNotMatch: '0002-00000040',
  InvalidAccessKeyId: '0002-00000902',
  AccessDenied: '0003-00000001',
  RequestTimeTooSkewed: '0002-00000504',
  MethodNotAllowed: '0003-00000203',
  PreconditionFailed: '0026-00000009',
  NoSuchUpload: '0042-00000104',
  InternalError: '0000-00000001',
};

export interface ErrorTarget { requestId: string; method: string; bucket?: string; region: string }

export function renderError(err: OssError, t: ErrorTarget): { status: number; headers: Record<string, string>; body: string } {
  const ec = err.ec ?? DEFAULT_EC[err.code];
  const node: XmlNode = {
    Code: err.code,
    Message: err.message,
    RequestId: t.requestId,
    HostId: t.bucket ? `${t.bucket}.oss-${t.region}.aliyuncs.com` : `oss-${t.region}.aliyuncs.com`,
  };
  for (const [k, v] of Object.entries(err.details)) {
    // "Parent/Child" details render nested (<AccessDeniedDetail><AuthAction>…), as OSS sends them.
    const slash = k.indexOf('/');
    if (slash > 0) ((node[k.slice(0, slash)] ??= {}) as XmlNode)[k.slice(slash + 1)] = v;
    else if (!(k in node)) node[k] = v;
  }
  if (ec) {
    node.EC = ec;
    node.RecommendDoc = `https://api.aliyun.com/troubleshoot?q=${ec}`;
  }
  const xml = xmlDocument('Error', node);
  const headers: Record<string, string> = { 'content-type': 'application/xml' };
  if (ec) headers['x-oss-ec'] = ec;
  // AppendObject tells the client where to resume, in a header as well as in the body.
  if (err.details.NextAppendPosition !== undefined) headers['x-oss-next-append-position'] = err.details.NextAppendPosition;
  if (t.method === 'HEAD') {
    headers['x-oss-err'] = Buffer.from(xml, 'utf8').toString('base64');
    headers['content-length'] = '0';
    return { status: err.status, headers, body: '' };
  }
  return { status: err.status, headers, body: xml };
}

/** Any non-OssError thrown by an operation is a bug in the emulator: reported as OSS would, 500 InternalError. */
export function toOssError(err: unknown): OssError {
  if (err instanceof OssError) return err;
  return new OssError('InternalError', `Local OSS internal error: ${err instanceof Error ? err.message : String(err)}`);
}
