'use strict';
/**
 * The yardstick for `backfill`'s speed (bench/backfill-speed.bench.ts): a bare ali-oss pool in its own plain-Node
 * process, no TypeScript, no checkpoint, no report. It lists a prefix and runs N workers that make the requests the
 * backfill makes per plaintext object: HEAD, GetObjectAcl, CopyObject onto itself with SSE, guarded by the HEAD's
 * ETag (x-oss-copy-source-if-match). Prints {"objects":…} when done.
 *
 * Env: ENDPOINT, REGION, BUCKET, PREFIX, CONCURRENCY, ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET.
 */
const OSS = require('ali-oss');

async function main() {
  const e = process.env;
  const c = new OSS({ endpoint: e.ENDPOINT, region: `oss-${e.REGION}`, bucket: e.BUCKET, accessKeyId: e.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: e.ALIBABA_CLOUD_ACCESS_KEY_SECRET });
  const concurrency = Number(e.CONCURRENCY || 64);
  const keys = [];
  let token;
  do {
    const page = await c.listV2({ prefix: e.PREFIX, 'max-keys': 1000, ...(token ? { 'continuation-token': token } : {}) });
    for (const o of page.objects || []) keys.push(o.name);
    token = page.isTruncated ? page.nextContinuationToken : undefined;
  } while (token);
  let next = 0;
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const h = await c.head(key);
      if (h.res.headers['x-oss-server-side-encryption']) continue;
      await c.getACL(key);
      await c.copy(key, key, { headers: { 'x-oss-server-side-encryption': 'AES256', 'x-oss-copy-source-if-match': h.res.headers.etag, 'x-oss-metadata-directive': 'COPY' } });
      done += 1;
    }
  }));
  process.stdout.write(`${JSON.stringify({ objects: done })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
