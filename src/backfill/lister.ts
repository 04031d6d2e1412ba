/**
 * Streams a bucket's keys with ListObjectsV2 through the gateway (src/oss/gateway.ts `listV2`, which
 * retries and translates errors). One page is prefetched while the previous one is being processed,
 * so listing overlaps with work and at most two pages (2 × 1000 entries) are in memory.
 */
import type { ListedObject, ListV2Response, OssGateway } from '../oss/gateway';
import { OssOperationError } from '../errors';
import { ListingError } from './errors';

export interface ListOptions {
  prefix?: string;
  /** Resume point: keys after this one (ListObjectsV2 `start-after`, lexicographic like the listing itself). */
  startAfter?: string;
  /** Keys per page; OSS allows up to 1000. */
  pageSize?: number;
}

/** Hints for the listing failures a user can fix. */
const LIST_HINTS: Record<string, string> = {
  NoSuchBucket: 'check --bucket and that --region / --endpoint point at the bucket\'s region',
  AccessDenied: 'the credentials need oss:ListObjects on the bucket (and oss:GetObject, oss:PutObject to encrypt)',
  InvalidAccessKeyId: 'check ALIBABA_CLOUD_ACCESS_KEY_ID (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys)',
  SignatureDoesNotMatch: 'check ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  InvalidSecurityToken: 'check ALIBABA_CLOUD_SECURITY_TOKEN',
  SecurityTokenExpired: 'the STS token expired; get a fresh one',
};

export function listingError(bucket: string, err: unknown): ListingError {
  if (err instanceof OssOperationError) {
    const hint = LIST_HINTS[err.ossCode];
    const e = new Error(`${err.ossCode} (HTTP ${err.status}${err.requestId ? `, request ${err.requestId}` : ''})${hint ? `; ${hint}` : `: ${err.message}`}`);
    const le = new ListingError(bucket, e);
    Object.defineProperty(le, 'code', { value: `LIST_${err.code}` });
    return le;
  }
  return new ListingError(bucket, err instanceof Error ? err : new Error(String(err)));
}

export async function* listObjects(oss: OssGateway, bucket: string, opts: ListOptions = {}): AsyncGenerator<ListedObject> {
  const maxKeys = opts.pageSize ?? 1000;
  const fetch = (q: { startAfter?: string; continuationToken?: string }): Promise<ListV2Response> => {
    const p = oss.listV2(bucket, { ...(opts.prefix ? { prefix: opts.prefix } : {}), ...q, maxKeys });
    p.catch(() => undefined); // a prefetched page may be abandoned (abort); its failure is read when awaited
    return p;
  };
  let next: Promise<ListV2Response> | undefined = fetch(opts.startAfter ? { startAfter: opts.startAfter } : {});
  while (next) {
    let page: ListV2Response;
    try {
      page = await next;
    } catch (err) {
      throw listingError(bucket, err);
    }
    next = page.isTruncated && page.nextContinuationToken ? fetch({ continuationToken: page.nextContinuationToken }) : undefined;
    for (const o of page.objects) yield o;
  }
}
