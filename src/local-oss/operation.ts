/**
 * What every operation handler receives and returns. Handlers are plain async functions over this context, so
 * the HTTP layer (server.ts) stays the only code that touches sockets.
 */
import type { IncomingMessage } from 'node:http';
import type { Principal } from './auth/authenticate';
import type { Kms } from './kms';
import type { Notifier } from './notifications';
import type { State } from './state';
import type { BlobStore } from './storage/blob-store';

/** Server-wide settings and services, resolved once at start. */
export interface Services {
  state: State;
  blobs: BlobStore;
  kms: Kms;
  notifier: Notifier;
  region: string;
  accountId: string;
  copyChangeLimitBytes: number;
  multipartMinPartBytes: number;
  restoreDelayMs: number;
  now(): number;
}

export interface OpContext {
  op: string;
  requestId: string;
  method: string;
  bucket?: string;
  key?: string;
  query: URLSearchParams;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string | undefined>;
  /** The raw request (for draining). Read the body through `body` or `readBody`, which check it against Content-MD5 / x-oss-content-sha256. */
  req: IncomingMessage;
  /** The request body, verified at its end (body-check.ts). Can be consumed once. */
  body: AsyncIterable<Buffer>;
  principal: Principal;
  sourceIp: string;
  svc: Services;
  /** Applies the Deny rules to a sub-request (`op` as routes.ts names it, `versionId` when it names a version). */
  authorize(op: string, versionId?: string): void;
  /** Reads the whole (small) body; XML bodies of OSS are at most a few MiB. */
  readBody(limitBytes?: number): Promise<Buffer>;
}

export interface OpResult {
  status: number;
  headers?: Record<string, string | number | undefined>;
  body?: string | Buffer | NodeJS.ReadableStream;
}

export type Operation = (ctx: OpContext) => Promise<OpResult>;
