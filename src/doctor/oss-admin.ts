/**
 * The doctor's own ali-oss adapter for what the function never does: bucket-level reads (GetBucketInfo,
 * GetBucketVersioning, GetBucketEncryption, GetBucketAcl, GetBucketWorm, GetBucketOverwriteConfig, ListBuckets for
 * the account) and the scratch-object housekeeping (PutObject with exact headers, ListObjectVersions, DeleteObject
 * by version, multipart aborts). Every request goes through ali-oss's own `request()` with the headers built here,
 * signed as the SDK signs them; errors are translated like the function's (src/oss/translate-error.ts).
 */
import OSS from 'ali-oss';
import { translateOssError } from '../oss/translate-error';
import { keepDotSegments, type OssCredentials } from '../oss/gateway';

export interface AdminOptions {
  region: string;
  endpoint: string;
  credentials: OssCredentials;
  timeoutMs?: number;
}

interface RawParams {
  headers?: Record<string, string>;
  query?: Record<string, string>;
  successStatuses?: number[];
  xmlResponse?: boolean;
  content?: Buffer;
  mime?: string;
}
interface RawResult { status: number; data: unknown; res: { headers: Record<string, string> } }
interface RawClient {
  _objectRequestParams(method: string, name: string, options: { headers?: Record<string, string>; subres?: unknown; timeout?: number }): RawParams;
  _bucketRequestParams(method: string, bucket: string, subres: unknown, options: { timeout?: number }): RawParams;
  request(params: RawParams): Promise<RawResult>;
  parseXML(xml: string | Buffer): Promise<Record<string, unknown>>;
}

export interface XmlAnswer { root: string; data: Record<string, unknown>; headers: Record<string, string> }
export interface ObjectVersionRef { key: string; versionId: string; deleteMarker: boolean }

export interface OssAdmin {
  readonly endpoint: string;
  /** GET on a bucket subresource ('' = none); the XML root name is kept (ali-oss's parser drops it). */
  bucketGet(bucket: string, subres: string | Record<string, string>, query?: Record<string, string>): Promise<XmlAnswer>;
  /** ListBuckets (GetService) limited to one name: proves the keys and names their account. */
  owner(prefix: string): Promise<{ id: string; buckets: string[] }>;
  put(bucket: string, key: string, body: Buffer, headers: Record<string, string>): Promise<Record<string, string>>;
  head(bucket: string, key: string): Promise<Record<string, string>>;
  get(bucket: string, key: string): Promise<Buffer>;
  getAcl(bucket: string, key: string): Promise<string>;
  getTags(bucket: string, key: string): Promise<Record<string, string>>;
  /** Every version and delete marker under `prefix` (an unversioned bucket lists each object once, version "null"). */
  listVersions(bucket: string, prefix: string): Promise<ObjectVersionRef[]>;
  deleteVersion(bucket: string, key: string, versionId: string): Promise<void>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listUploads(bucket: string, prefix: string): Promise<Array<{ key: string; uploadId: string }>>;
  abortUpload(bucket: string, key: string, uploadId: string): Promise<void>;
}

/** OSS operation (and RAM action) names of the bucket subresources read here. */
const BUCKET_OPERATIONS: Record<string, string> = {
  bucketInfo: 'GetBucketInfo', versioning: 'GetBucketVersioning', encryption: 'GetBucketEncryption', acl: 'GetBucketAcl',
  worm: 'GetBucketWorm', overwriteConfig: 'GetBucketOverwriteConfig', location: 'GetBucketLocation',
};

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function createOssAdmin(opts: AdminOptions): OssAdmin {
  const region = opts.region.replace(/^oss-/, '');
  const timeout = opts.timeoutMs ?? 20_000;
  const clients = new Map<string, RawClient>();
  const client = (bucket: string): RawClient => {
    let c = clients.get(bucket);
    if (!c) {
      const oss = new OSS({
        region: `oss-${region}`, endpoint: opts.endpoint, ...(bucket ? { bucket } : {}),
        accessKeyId: opts.credentials.accessKeyId, accessKeySecret: opts.credentials.accessKeySecret,
        ...(opts.credentials.securityToken ? { stsToken: opts.credentials.securityToken, refreshSTSTokenInterval: 36 * 3600 * 1000 } : {}),
        timeout, secure: opts.endpoint.startsWith('https:'),
        // Same header encoding as the function's gateway: non-ASCII metadata travels as its bytes.
        headerEncoding: 'latin1',
      } as OSS.Options);
      keepDotSegments(oss);
      c = oss as unknown as RawClient;
      clients.set(bucket, c);
    }
    return c;
  };

  async function send(operation: string, bucket: string, params: RawParams, statuses: number[]): Promise<RawResult> {
    params.successStatuses = statuses;
    try {
      return await client(bucket).request(params);
    } catch (err) {
      throw translateOssError(operation, err);
    }
  }

  async function xml(result: RawResult): Promise<XmlAnswer> {
    const text = Buffer.isBuffer(result.data) ? result.data.toString('utf8') : String(result.data ?? '');
    const root = /<([A-Za-z][\w.-]*)[\s/>]/.exec(text.replace(/<\?xml[^>]*\?>/, ''))?.[1] ?? '';
    return { root, data: text.trim() ? await client('').parseXML(text) : {}, headers: result.res.headers };
  }

  return {
    endpoint: opts.endpoint,

    async bucketGet(bucket, subres, query) {
      const sub = typeof subres === 'string' ? subres : Object.keys(subres)[0] ?? '';
      const params = client(bucket)._bucketRequestParams('GET', bucket, subres, { timeout });
      if (query) params.query = query;
      return xml(await send(BUCKET_OPERATIONS[sub] ?? `GetBucket?${sub}`, bucket, params, [200]));
    },

    async owner(prefix) {
      const params = client('')._bucketRequestParams('GET', '', {}, { timeout });
      params.query = { prefix, 'max-keys': '10' };
      const a = await xml(await send('ListBuckets', '', params, [200]));
      const owner = a.data.Owner as { ID?: string } | undefined;
      const buckets = asArray((a.data.Buckets as { Bucket?: unknown } | undefined)?.Bucket as Array<{ Name: string }> | undefined).map((b) => b.Name);
      return { id: String(owner?.ID ?? ''), buckets };
    },

    async put(bucket, key, body, headers) {
      const params = client(bucket)._objectRequestParams('PUT', key, { headers, timeout });
      params.content = body;
      const r = await send('PutObject', bucket, params, [200]);
      return r.res.headers;
    },

    async head(bucket, key) {
      const params = client(bucket)._objectRequestParams('HEAD', key, { timeout });
      return (await send('HeadObject', bucket, params, [200])).res.headers;
    },

    async get(bucket, key) {
      const params = client(bucket)._objectRequestParams('GET', key, { timeout });
      const r = await send('GetObject', bucket, params, [200]);
      return Buffer.isBuffer(r.data) ? r.data : Buffer.from(String(r.data ?? ''));
    },

    async getAcl(bucket, key) {
      const params = client(bucket)._objectRequestParams('GET', key, { subres: 'acl', timeout });
      const a = await xml(await send('GetObjectAcl', bucket, params, [200]));
      return String((a.data.AccessControlList as { Grant?: string } | undefined)?.Grant ?? '');
    },

    async getTags(bucket, key) {
      const params = client(bucket)._objectRequestParams('GET', key, { subres: 'tagging', timeout });
      const a = await xml(await send('GetObjectTagging', bucket, params, [200]));
      const tags = asArray((a.data.TagSet as { Tag?: Array<{ Key: string; Value: string }> } | undefined)?.Tag);
      return Object.fromEntries(tags.map((t) => [String(t.Key), String(t.Value ?? '')]));
    },

    async listVersions(bucket, prefix) {
      const out: ObjectVersionRef[] = [];
      let keyMarker = '';
      let versionMarker = '';
      for (;;) {
        const params = client(bucket)._bucketRequestParams('GET', bucket, 'versions', { timeout });
        params.query = { prefix, 'max-keys': '1000', ...(keyMarker ? { 'key-marker': keyMarker, 'version-id-marker': versionMarker } : {}) };
        const a = await xml(await send('ListObjectVersions', bucket, params, [200]));
        for (const v of asArray(a.data.Version as Array<{ Key: string; VersionId: string }> | undefined)) out.push({ key: v.Key, versionId: v.VersionId, deleteMarker: false });
        for (const v of asArray(a.data.DeleteMarker as Array<{ Key: string; VersionId: string }> | undefined)) out.push({ key: v.Key, versionId: v.VersionId, deleteMarker: true });
        if (a.data.IsTruncated !== 'true') return out;
        keyMarker = String(a.data.NextKeyMarker ?? '');
        versionMarker = String(a.data.NextVersionIdMarker ?? '');
      }
    },

    async deleteVersion(bucket, key, versionId) {
      const params = client(bucket)._objectRequestParams('DELETE', key, { subres: { versionId }, timeout });
      await send('DeleteObject', bucket, params, [204]);
    },

    async deleteObject(bucket, key) {
      const params = client(bucket)._objectRequestParams('DELETE', key, { timeout });
      await send('DeleteObject', bucket, params, [204]);
    },

    async listUploads(bucket, prefix) {
      const params = client(bucket)._bucketRequestParams('GET', bucket, 'uploads', { timeout });
      params.query = { prefix, 'max-uploads': '1000' };
      const a = await xml(await send('ListMultipartUploads', bucket, params, [200]));
      return asArray(a.data.Upload as Array<{ Key: string; UploadId: string }> | undefined).map((u) => ({ key: u.Key, uploadId: u.UploadId }));
    },

    async abortUpload(bucket, key, uploadId) {
      const params = client(bucket)._objectRequestParams('DELETE', key, { subres: { uploadId }, timeout });
      await send('AbortMultipartUpload', bucket, params, [204]);
    },
  };
}
