/**
 * The x-oss-copy-source header, parsed once for the copy operations and for the access check (a copy reads its
 * source, so the read permission is checked against the source bucket).
 */
import { OssError } from './errors';

export interface CopySource { bucket: string; key: string; versionId?: string }

/**
 * `/bucket/key[?versionId=V]`, form-decoded as OSS does (oss-evidence.md §15): `%XX` escapes and `+` for a space.
 * ali-oss sends encodeURIComponent(key) (`+` → `%2B`), the Go SDK v1 and ossutil url.QueryEscape(key) (space → `+`);
 * both reach the same key. A literal `+` sent unescaped therefore names a space (aliyun-oss-ruby-sdk#98).
 */
export function parseCopySource(value: string | undefined): CopySource {
  if (value === undefined || value === '') throw new OssError('InvalidArgument', 'x-oss-copy-source is missing or empty.', { ArgumentName: 'x-oss-copy-source' });
  const q = value.indexOf('?');
  const path = (q < 0 ? value : value.slice(0, q)).replace(/^\//, '');
  const query = new URLSearchParams(q < 0 ? '' : value.slice(q + 1));
  const slash = path.indexOf('/');
  const bad = () => new OssError('InvalidArgument', `x-oss-copy-source "${value}" is not /bucket/key (key URL-encoded).`, { ArgumentName: 'x-oss-copy-source', ArgumentValue: value });
  if (slash <= 0 || slash === path.length - 1) throw bad();
  try {
    const versionId = query.get('versionId') ?? undefined;
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { bucket: formDecode(path.slice(0, slash)), key: formDecode(path.slice(slash + 1)), ...(versionId ? { versionId } : {}) };
  } catch { throw bad(); }
}
