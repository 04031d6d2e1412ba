/**
 * A small HTTP proxy for CLI tests: forwards every request unchanged (headers, Host, signature) to the
 * local OSS or local FC, except where `decide` holds one (before it reaches the server, or after the
 * server acted but before the client hears back: a copy done in OSS whose client is then killed) or
 * answers it itself (FC's 429 throttling). Holding a request is how a race is made deterministic.
 */
import { createServer, request, type IncomingMessage, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyDecision =
  | undefined
  | { answer: { status: number; headers?: Record<string, string>; body?: string } }
  | { hold: Promise<void>; stage: 'request' | 'response' };

export interface TestProxy {
  endpoint: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (res) => {
      readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

export async function startProxy(target: string, decide: (req: IncomingMessage) => ProxyDecision): Promise<TestProxy> {
  const url = new URL(target);
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const d = decide(req);
      if (d && 'answer' in d) {
        const payload = d.answer.body ?? '';
        res.writeHead(d.answer.status, { 'content-length': Buffer.byteLength(payload), ...(d.answer.headers ?? {}) }).end(payload);
        return;
      }
      if (d && d.stage === 'request') await d.hold;
      const r = await forward(url, req, body);
      if (d && d.stage === 'response') await d.hold;
      res.writeHead(r.status, r.headers).end(r.body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gate a test opens when it is ready: `wait` is what the proxy holds on. */
export function gate(): { wait: Promise<void>; open: () => void; reached: Promise<void>; arrive: () => void } {
  let open!: () => void;
  let arrive!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (arrive = r));
  return { wait, open, reached, arrive };
}
