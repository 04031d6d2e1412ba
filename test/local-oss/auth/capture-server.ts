/**
 * A throwaway HTTP server for the signature tests: it resolves bucket/key the way the local OSS does, runs the real
 * authenticate() on every request, records the outcome, and answers 200 or the OssError as OSS XML. The test then
 * drives the REAL ali-oss client at it, so a pass proves the verifier agrees with ali-oss's real signatures.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, type Principal, type SignedRequest } from '../../../src/local-oss/auth/authenticate';
import type { CredentialStore } from '../../../src/local-oss/auth/credentials';
import { OssError } from '../../../src/local-oss/errors';

export interface Outcome {
  method: string;
  url: string;
  bucket?: string;
  key?: string;
  principal?: Principal;
  code?: string;
  details?: Record<string, string>;
}

export interface CaptureServer {
  endpoint: string;
  port: number;
  outcomes: Outcome[];
  /** Shifts the server clock (ms) to simulate skew and expiry. */
  clockOffsetMs: number;
  /** Alters the request between the wire and authenticate(), i.e. tampering in transit. */
  tamper?: (req: SignedRequest) => void;
  /** Resolve the bucket from the path instead of Host (for clients with sldEnable). */
  pathStyle: boolean;
  close(): Promise<void>;
}

/** pathStyle: ali-oss with sldEnable and an IP endpoint sends the bucket in the path AND still writes it into Host,
 *  so the two styles cannot be told apart from the request alone; the caller knows which it configured. */
export function toSignedRequest(req: http.IncomingMessage, pathStyle = false): SignedRequest {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const host = (headers['host'] ?? '').replace(/:\d+$/, '');
  const decoded = decodeURIComponent(rawPath.slice(1));
  // Virtual-hosted when Host has a bucket label (ali-oss sets <bucket>.oss-<region>.aliyuncs.com for IP endpoints).
  // listBuckets sends Host ".oss-<region>.aliyuncs.com": an empty first label means no bucket.
  const virtual = !pathStyle && host.includes('.') && !/^\d+\.\d+\.\d+\.\d+$/.test(host);
  let bucket: string | undefined;
  let key: string | undefined;
  if (virtual) {
    bucket = host.split('.')[0] || undefined;
    key = decoded || undefined;
  } else {
    const slash = decoded.indexOf('/');
    bucket = (slash < 0 ? decoded : decoded.slice(0, slash)) || undefined;
    key = slash < 0 ? undefined : decoded.slice(slash + 1) || undefined;
  }
  return { method: req.method ?? 'GET', rawPath, query, headers, bucket, key };
}

export async function startCaptureServer(creds: CredentialStore): Promise<CaptureServer> {
  const outcomes: Outcome[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const signed = toSignedRequest(req, cap.pathStyle);
      cap.tamper?.(signed);
      const outcome: Outcome = { method: signed.method, url: req.url ?? '', bucket: signed.bucket, key: signed.key };
      outcomes.push(outcome);
      try {
        outcome.principal = authenticate(signed, creds, new Date(Date.now() + cap.clockOffsetMs));
        res.writeHead(200, { 'x-oss-request-id': 'capture', etag: '"D41D8CD98F00B204E9800998ECF8427E"', 'content-length': '0' });
        res.end();
      } catch (err) {
        if (!(err instanceof OssError)) throw err;
        outcome.code = err.code;
        outcome.details = err.details;
        const body = req.method === 'HEAD' ? '' : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message><RequestId>capture</RequestId><HostId>localhost</HostId></Error>`;
        res.writeHead(err.status, { 'content-type': 'application/xml', 'x-oss-request-id': 'capture', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const cap: CaptureServer = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    outcomes,
    clockOffsetMs: 0,
    pathStyle: false,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
  return cap;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Sends a request for a URL (e.g. a presigned one) to the capture server, keeping the URL's Host header. */
export function fetchVia(cap: CaptureServer, url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: cap.port, method: init.method ?? 'GET', path: u.pathname + u.search, headers: { host: u.host, ...init.headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
