/**
 * Hostile review F2: backfill --fanout against a Function Compute endpoint that accepts connections and never
 * answers. The CLI says so after 5 s (as for OSS), Ctrl-C exits 130 while the invocation is still held (fc2 cannot
 * cancel it: the run stops waiting), and without Ctrl-C an attempt gives up after the short async timeout with
 * backfill wording. Ordering, not clocks: the warning must come during the first attempt, the exit while the
 * request is still held (the old code waited 120 s per attempt, 4 attempts, and ignored Ctrl-C while waiting).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli, type SpawnedCli } from './run-cli';
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';

function heldFc() {
  const held: Array<{ req: IncomingMessage; closed: boolean }> = [];
  const server: Server = createServer((req) => {
    const h = { req, closed: false };
    req.socket.on('close', () => { h.closed = true; });
    held.push(h);
  });
  return {
    held,
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as { port: number }).port}`))),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const STALL = /Function Compute at (\S+) has not accepted an asynchronous invocation for 5 s; still waiting \(up to 10 s per attempt, (\d+) attempts: RETRY_MAX_ATTEMPTS\)\. Check --fc-endpoint \/ --region \/ --account-id and the network; Ctrl-C stops now\./;

describe('backfill --fanout against an FC endpoint that never answers', () => {
  let oss: LocalOss;
  let run: SpawnedCli | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bf-heldfc-'));
  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['held-fc'] });
    const c = ossClient(oss, 'held-fc');
    await Promise.all(['a', 'b', 'c'].map((k) => c.put(k, Buffer.from(k))));
  });
  afterAll(async () => oss.close());
  afterEach(() => { if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL'); });
  const args = (fcEndpoint: string, extra: string[] = []) => ['backfill', '--bucket', 'held-fc', '--region', oss.region, '--endpoint', oss.endpoint, '--fanout', 'auto-encrypt', '--account-id', '1234567890123456', '--fc-endpoint', fcEndpoint, ...extra];
  const env = () => ({ ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret, LOG_LEVEL: 'silent' });

  test('a warning after 5 s naming FC, then Ctrl-C → exit 130 while the invocation is still held', async () => {
    const fc = heldFc();
    const endpoint = await fc.listen();
    try {
      const checkpoint = join(dir, 'cp.json');
      run = spawnCli(args(endpoint, ['--checkpoint', checkpoint]), env());
      await run.waitFor(STALL, 'stderr');
      expect(STALL.exec(run.stderr())![1]).toBe(endpoint);
      expect(fc.held).toHaveLength(1); // said during the first attempt
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      expect(code).toBe(130);
      expect(fc.held).toHaveLength(1); // no retry after the signal
      expect(fc.held[0]!.closed).toBe(true); // the process is gone although FC never answered
      expect(run.stderr()).toContain(`oss-auto-encrypt backfill: stopped before the run finished; rerun with --checkpoint ${checkpoint} to resume`);
      expect(run.stderr()).not.toMatch(/--timeout|\bsynchronous|\n\s+at /);
    } finally {
      await fc.close();
    }
  }, 30_000);

  test('without Ctrl-C an attempt ends after the async timeout with backfill wording (exit 1)', async () => {
    const fc = heldFc();
    const endpoint = await fc.listen();
    try {
      run = spawnCli(args(endpoint), { ...env(), RETRY_MAX_ATTEMPTS: '1' });
      const { code } = await run.exited;
      expect(code).toBe(1);
      expect(run.stderr()).toMatch(new RegExp(`oss-auto-encrypt backfill: Could not send a batch of 3 keys to function "auto-encrypt": Function Compute at ${endpoint.replace(/\./g, '\\.')} did not accept the asynchronous invocation within 10 s .*check --fc-endpoint, --region, --account-id and the network`));
      expect(run.stderr()).not.toMatch(/--timeout|\bsynchronous|\n\s+at /);
      expect(run.stderr()).toContain('(up to 10 s per attempt, 1 attempt: RETRY_MAX_ATTEMPTS)'); // not "1 attempts"
      expect(fc.held).toHaveLength(1);
    } finally {
      await fc.close();
    }
  }, 30_000);

  test('an endpoint that refuses connections is named with the option that sets it, --fc-endpoint', async () => {
    const fc = heldFc();
    const endpoint = await fc.listen();
    await fc.close(); // nothing listens there now
    run = spawnCli(args(endpoint), { ...env(), RETRY_MAX_ATTEMPTS: '1' });
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr()).toContain(`Cannot reach Function Compute at ${endpoint} (ECONNREFUSED). Check --fc-endpoint / --region / --account-id`);
    expect(run.stderr()).not.toContain('Check --endpoint');
  }, 30_000);
});
