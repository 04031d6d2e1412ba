/** What the backfill CLI tests repeat per describe: fresh plaintext buckets, and the flags that point the CLI at them. */
import { ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';

export function cliBuckets(oss: () => LocalOss, prefix: string) {
  let n = 0;
  return {
    /** A fresh bucket `<prefix>-<n>` with `keys` uploaded as plaintext (each body is its key). */
    async bucketWith(keys: string[]): Promise<string> {
      const bucket = `${prefix}-${++n}`;
      await oss().createBucket(bucket);
      const c = ossClient(oss(), bucket);
      await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
      return bucket;
    },
    base: (bucket: string, endpoint = oss().endpoint) => ['--bucket', bucket, '--region', oss().region, '--endpoint', endpoint],
  };
}
