/**
 * Issue 15 item 10: an OSS endpoint that accepts connections and never answers. The CLI says so within seconds
 * (long before OSS_TIMEOUT_MS × RETRY_MAX_ATTEMPTS of silence), and Ctrl-C stops it promptly by cutting the
 * requests in flight and the retry waits: exit 130, the interrupted objects left for the resumed run (no report
 * row). Ordering, not clocks: the warning must come while the first attempt is still the only request, and the
 * process must exit on the signal while every request is still held (with the default 60 s timeout and 4
 * attempts, the old code took about 4 minutes).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli, type SpawnedCli } from './run-cli';

/** A fake OSS: answers ListObjectsV2 with `keys` when `listing` is true, holds every other request forever. */
function heldOss(opts: { listing: boolean; keys: string[]; busy?: boolean }) {
  const held: Array<{ req: IncomingMessage; res: ServerResponse; closed: boolean }> = [];
  let answered503 = 0;
  const server: Server = createServer((req, res) => {
    if (opts.busy) {
      answered503++;
      res.writeHead(503, { 'content-type': 'application/xml', 'x-oss-request-id': `BUSY${answered503}` });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error>');
      return;
    }
    if (opts.listing && req.method === 'GET' && /[?&]list-type=2/.test(req.url ?? '')) {
      const contents = opts.keys.map((k) => `<Contents><Key>${k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"0CC175B9C0F1B6A831C399E269772661"</ETag><Type>Normal</Type><Size>1</Size><StorageClass>Standard</StorageClass></Contents>`).join('');
      res.writeHead(200, { 'content-type': 'application/xml', 'x-oss-request-id': 'LIST0000000000000000000' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>held-bucket</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><KeyCount>${opts.keys.length}</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`);
      return;
    }
    const h = { req, res, closed: false };
    req.socket.on('close', () => { h.closed = true; });
    held.push(h);
  });
  return {
    held,
    answered503: () => answered503,
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as { port: number }).port}`))),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIheldtest', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'held-test-secret', LOG_LEVEL: 'silent' };
const STALL = /has not answered (\w+) for 5 s; still waiting \(up to 60 s per attempt, 4 attempts: OSS_TIMEOUT_MS, RETRY_MAX_ATTEMPTS\)\. Check --endpoint \/ --region and the network; Ctrl-C stops now\./;

describe('backfill against an endpoint that never answers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bf-held-'));
  let run: SpawnedCli | undefined;
  afterEach(() => { if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL'); });

  test('the first listing page hangs: a warning within seconds naming it, then Ctrl-C → exit 130 with a resume hint', async () => {
    const oss = heldOss({ listing: false, keys: [] });
    const endpoint = await oss.listen();
    try {
      const checkpoint = join(dir, 'list.json');
      run = spawnCli(['backfill', '--bucket', 'held-bucket', '--region', 'cn-hangzhou', '--endpoint', endpoint, '--checkpoint', checkpoint], ENV);
      await run.waitFor(STALL, 'stderr');
      expect(STALL.exec(run.stderr())![1]).toBe('ListObjectsV2');
      // Said during the first attempt: nothing timed out or was retried yet.
      expect(oss.held).toHaveLength(1);
      expect(oss.held[0]!.closed).toBe(false);
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      expect(code).toBe(130);
      expect(run.stderr()).toContain(`oss-auto-encrypt backfill: stopped before the run finished; rerun with --checkpoint ${checkpoint} to resume`);
      expect(run.stderr()).not.toMatch(/Cannot list|\n\s+at /);
      expect(oss.held).toHaveLength(1); // no retry was started after the signal
    } finally {
      await oss.close();
    }
  }, 30_000);

  test('HEADs hang with objects in flight: Ctrl-C cuts them → exit 130, no report rows, the keys stay in flight for the resume', async () => {
    const keys = ['a/1.txt', 'a/2.txt', 'a/3.txt'];
    const oss = heldOss({ listing: true, keys });
    const endpoint = await oss.listen();
    try {
      const checkpoint = join(dir, 'head.json');
      const report = join(dir, 'head.csv');
      run = spawnCli(['backfill', '--bucket', 'held-bucket', '--region', 'cn-hangzhou', '--endpoint', endpoint, '--concurrency', '3', '--checkpoint', checkpoint, '--report', report], ENV);
      await run.waitFor(STALL, 'stderr');
      expect(STALL.exec(run.stderr())![1]).toBe('HeadObject');
      expect(run.stderr().match(/has not answered/g)).toHaveLength(1); // once, not once per object
      expect(oss.held).toHaveLength(3);
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      expect(code).toBe(130);
      expect(run.stderr()).toMatch(/SIGINT: stopping: objects in flight may finish; a request unanswered for 5 s is cut and its object redone on resume/);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
      expect(oss.held).toHaveLength(3);
      // No row claims an outcome for an object that was only interrupted; the checkpoint keeps them to redo.
      const rows = existsSync(report) ? readFileSync(report, 'utf8').trim().split('\n').slice(1).filter(Boolean) : [];
      expect(rows).toEqual([]);
      const cp = JSON.parse(readFileSync(checkpoint, 'utf8')) as { complete: boolean; inFlight: string[]; counts: { failed: number } };
      expect(cp.complete).toBe(false);
      expect([...cp.inFlight].sort()).toEqual(keys);
      expect(cp.counts.failed).toBe(0);
    } finally {
      await oss.close();
    }
  }, 30_000);

  test('a retry wait (503, long backoff) ends on Ctrl-C: exit 130, no further attempt', async () => {
    const oss = heldOss({ listing: false, keys: [], busy: true });
    const endpoint = await oss.listen();
    try {
      run = spawnCli(['backfill', '--bucket', 'held-bucket', '--region', 'cn-hangzhou', '--endpoint', endpoint],
        { ...ENV, RETRY_BASE_DELAY_MS: '60000', RETRY_MAX_DELAY_MS: '60000' });
      // The first 503 is answered; the gateway now waits up to 60 s before the next attempt.
      while (oss.answered503() < 1) await new Promise((r) => setTimeout(r, 10));
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      expect(code).toBe(130);
      expect(run.stderr()).toContain('oss-auto-encrypt backfill: stopped before the run finished');
      expect(oss.answered503()).toBeLessThan(4);
    } finally {
      await oss.close();
    }
  }, 30_000);
});
