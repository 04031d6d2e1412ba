/**
 * Test helpers: a local OSS on port 0 and a real ali-oss client for it (never a mock). ali-oss with an IP endpoint
 * sends `Host: <bucket>.oss-<region>.aliyuncs.com` (virtual-hosted); `pathStyle` uses a `localhost` endpoint with
 * `sldEnable`, so the bucket travels in the path (`/bucket/key`).
 */
import OSS from 'ali-oss';
import { startLocalOss, type LocalOss, type LocalOssOptions } from '../../src/local-oss';

export function startTestOss(opts: LocalOssOptions = {}): Promise<LocalOss> {
  return startLocalOss({ buckets: ['test-bucket'], ...opts });
}

/** Methods ali-oss 6.23 has that @types/ali-oss 6.23 lacks (or types too narrowly), as the tests use them. */
export interface OssExtras {
  putBucketVersioning(name: string, status: 'Enabled' | 'Suspended'): Promise<{ res: OSS.NormalSuccessResponse }>;
  getBucketVersioning(name: string): Promise<{ versionStatus?: string }>;
  getBucketVersions(query?: Record<string, unknown>): Promise<{
    objects: Array<{ name: string; versionId: string; isLatest: boolean }>; deleteMarker: Array<{ name: string; versionId: string }>;
  }>;
  getObjectTagging(name: string, opts?: Record<string, unknown>): Promise<{ tag: Record<string, string> }>;
  putObjectTagging(name: string, tag: Record<string, string>, opts?: Record<string, unknown>): Promise<unknown>;
  deleteObjectTagging(name: string, opts?: Record<string, unknown>): Promise<unknown>;
  getObjectMeta(name: string, opts?: Record<string, unknown>): Promise<{ status: number; res: OSS.NormalSuccessResponse }>;
  putBucketEncryption(name: string, rule: { SSEAlgorithm: string; KMSMasterKeyID?: string }): Promise<unknown>;
  getBucketEncryption(name: string): Promise<{ encryption: Record<string, string> }>;
  deleteBucketEncryption(name: string): Promise<unknown>;
}
export type OssClient = OSS & OssExtras;

export function ossClient(oss: LocalOss, bucket: string, opts: { v4?: boolean; sts?: boolean; pathStyle?: boolean } = {}): OssClient {
  const creds = opts.sts
    ? (() => { const s = oss.issueStsCredentials(); return { accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret, stsToken: s.securityToken }; })()
    : { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret };
  const endpoint = opts.pathStyle ? oss.endpoint.replace('127.0.0.1', 'localhost') : oss.endpoint;
  return new OSS({
    endpoint, region: 'oss-' + oss.region, bucket, ...creds,
    ...(opts.v4 ? { authorizationV4: true } : {}),
    ...(opts.pathStyle ? { sldEnable: true } : {}),
    // Tests should fail fast rather than wait ali-oss's 60 s default.
    timeout: 20_000,
  } as OSS.Options) as OssClient;
}
