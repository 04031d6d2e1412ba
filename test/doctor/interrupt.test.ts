/**
 * Ctrl-C mid-probe, as a user presses it: the doctor CLI in a child process gets SIGINT once its first scratch
 * object exists; it stops, removes every scratch object, prints what it had, and exits 130. The bucket's full
 * version listing (a versioned bucket, so every version and delete marker counts) is identical before and after.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { versionListing } from './harness';

const ROOT = join(__dirname, '..', '..');

describe('doctor interrupted with SIGINT mid-probe', () => {
  let oss: LocalOss;
  beforeAll(async () => { oss = await startTestOss({ buckets: ['doc-sigint'] }); });
  afterAll(async () => oss.close());

  it('removes every scratch version and exits 130', async () => {
    const c = ossClient(oss, 'doc-sigint');
    await c.putBucketVersioning('doc-sigint', 'Enabled');
    await c.put('user/keep.txt', Buffer.from('v1'));
    await c.put('user/keep.txt', Buffer.from('v2'));
    await c.delete('user/gone.txt');
    const before = await versionListing(oss, 'doc-sigint');
    oss.requestLog.clear();
    // Slow every request down so the probe is surely still running when the signal arrives.
    oss.setLatency(50);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'doctor', '--bucket', 'doc-sigint', '--region', oss.region, '--endpoint', oss.endpoint], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret, VERSIONED_PLAINTEXT: 'delete' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Held until the first scratch object exists (no sleeping on a guess).
    const firstPut = () => oss.requestLog.entries().some((e) => e.op === 'PutObject' && e.key?.startsWith('.oss-auto-encrypt-doctor/'));
    while (!firstPut()) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const code = await done;
    oss.setLatency(0);
    expect(stderr).toContain('interrupted: stopping and removing the scratch objects… (Ctrl-C again to leave at once)');
    expect(code).toBe(130);
    expect(stdout).toContain('Interrupted (Ctrl-C): the remaining checks were not run.');
    expect(stdout).toMatch(/Scratch objects: [1-9]\d* version\(s\) written and removed; nothing left behind\./);
    // The probe had not finished: no semantics verdict was printed.
    expect(stdout).not.toMatch(/✔ Semantics probe/);
    expect(await versionListing(oss, 'doc-sigint')).toEqual(before);
  }, 60_000);
});
