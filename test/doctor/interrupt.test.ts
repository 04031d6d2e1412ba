/**
 * Ctrl-C mid-probe, as a user presses it: the doctor CLI in a child process gets SIGINT once its first scratch
 * object exists; it stops, removes every scratch object, prints what it had, and exits 130. The bucket's full
 * version listing (a versioned bucket, so every version and delete marker counts) is identical before and after.
 * The same during the trigger countdown, when the delivery objects (outside the reserved prefix) exist.
 */
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { startDoctorStack, versionListing, type DoctorStack } from './harness';
import { spawnCli } from '../cli/run-cli';

/** `oss-auto-encrypt doctor …` as a child process, its output readable while it runs. */
function doctorChild(args: string[], env: Record<string, string>) {
  const run = spawnCli(['doctor', ...args], env);
  return { child: run.child, out: { get stdout() { return run.stdout(); }, get stderr() { return run.stderr(); } }, done: run.exited.then((e) => e.code) };
}

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
    const run = doctorChild(['--bucket', 'doc-sigint', '--region', oss.region, '--endpoint', oss.endpoint],
      { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret, VERSIONED_PLAINTEXT: 'delete' });
    // Held until the first scratch object exists (no sleeping on a guess).
    const firstPut = () => oss.requestLog.entries().some((e) => e.op === 'PutObject' && e.key?.startsWith('.oss-auto-encrypt-doctor/'));
    while (!firstPut()) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGINT');
    const code = await run.done;
    oss.setLatency(0);
    expect(run.out.stderr).toContain('interrupted: stopping and removing the scratch objects… (Ctrl-C again to leave at once)');
    expect(code).toBe(130);
    expect(run.out.stdout).toContain('Interrupted (Ctrl-C): the remaining checks were not run.');
    expect(run.out.stdout).toMatch(/Scratch objects: [1-9]\d* version\(s\) written and removed; nothing left behind\./);
    // The probe had not finished: no semantics verdict was printed.
    expect(run.out.stdout).not.toMatch(/✔ Semantics probe/);
    expect(await versionListing(oss, 'doc-sigint')).toEqual(before);
  }, 60_000);

  it('during the trigger countdown: the delivery objects outside the reserved prefix are removed too', async () => {
    const stack: DoctorStack = await startDoctorStack(['doc-sigint-wait'], { 'fn-silent': { bucket: 'doc-sigint-wait', env: { SSE_ALGORITHM: 'AES256' }, fires: false } });
    try {
      await ossClient(stack.oss, 'doc-sigint-wait').put('uploads/mine.txt', Buffer.from('mine'));
      const before = await versionListing(stack.oss, 'doc-sigint-wait');
      const run = doctorChild(['--bucket', 'doc-sigint-wait', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--function', 'fn-silent', '--fc-endpoint', stack.fc.endpoint, '--wait', '300'],
        { ...stack.cliEnv, SSE_ALGORITHM: 'AES256' });
      // Held until the countdown has started (its first line is printed after the delivery objects exist).
      while (!run.out.stderr.includes('waiting for the trigger to encrypt')) await new Promise((r) => setTimeout(r, 20));
      run.child.kill('SIGINT');
      expect(await run.done).toBe(130);
      expect(run.out.stdout).toContain('Interrupted (Ctrl-C): the remaining checks were not run.');
      expect(run.out.stdout).toMatch(/Scratch objects: [1-9]\d* version\(s\) written and removed; nothing left behind\./);
      expect(await versionListing(stack.oss, 'doc-sigint-wait')).toEqual(before);
    } finally {
      await stack.close();
    }
  }, 60_000);
});

describe('doctor stopped by SIGTERM or SIGHUP', () => {
  let oss: LocalOss;
  beforeAll(async () => { oss = await startTestOss({ buckets: ['doc-sigterm'] }); });
  afterAll(async () => oss.close());

  it.each([['SIGTERM', 143], ['SIGHUP', 129]] as const)('%s: cleans up like Ctrl-C and exits %i', async (sig, exit) => {
    await ossClient(oss, 'doc-sigterm').put('user/keep.txt', Buffer.from('mine'));
    const before = await versionListing(oss, 'doc-sigterm');
    oss.requestLog.clear();
    oss.setLatency(50);
    const run = doctorChild(['--bucket', 'doc-sigterm', '--region', oss.region, '--endpoint', oss.endpoint],
      { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret });
    const firstPut = () => oss.requestLog.entries().some((e) => e.op === 'PutObject' && e.key?.startsWith('.oss-auto-encrypt-doctor/'));
    while (!firstPut()) await new Promise((r) => setTimeout(r, 20));
    run.child.kill(sig);
    const code = await run.done;
    oss.setLatency(0);
    expect(code).toBe(exit);
    expect(run.out.stderr).toContain(`interrupted (${sig}): stopping and removing the scratch objects…`);
    expect(run.out.stdout).toContain(`Interrupted (${sig}): the remaining checks were not run.`);
    expect(run.out.stdout).toMatch(/Scratch objects: [1-9]\d* version\(s\) written and removed; nothing left behind\./);
    expect(await versionListing(oss, 'doc-sigterm')).toEqual(before);
  }, 60_000);
});

describe('doctor killed outright (SIGKILL) during the countdown', () => {
  it('the next run with --remove-stale removes what it left, the recorded delivery objects included', async () => {
    const stack: DoctorStack = await startDoctorStack(['doc-sigkill'], { 'fn-silent': { bucket: 'doc-sigkill', env: { SSE_ALGORITHM: 'AES256' }, fires: false } });
    try {
      await ossClient(stack.oss, 'doc-sigkill').put('uploads/mine.txt', Buffer.from('mine'));
      const before = await versionListing(stack.oss, 'doc-sigkill');
      const args = ['--bucket', 'doc-sigkill', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint];
      const run = doctorChild([...args, '--function', 'fn-silent', '--fc-endpoint', stack.fc.endpoint, '--wait', '300'], { ...stack.cliEnv, SSE_ALGORITHM: 'AES256' });
      while (!run.out.stderr.includes('waiting for the trigger to encrypt')) await new Promise((r) => setTimeout(r, 20));
      run.child.kill('SIGKILL');
      await run.done;
      const left = (await versionListing(stack.oss, 'doc-sigkill') as Array<{ name: string }>).map((v) => v.name);
      expect(left.filter((k) => k.startsWith('uploads/oss-auto-encrypt-doctor')).length).toBeGreaterThan(0);
      const again = doctorChild([...args, '--remove-stale', '--json'], { ...stack.cliEnv, SSE_ALGORITHM: 'AES256' });
      await again.done;
      expect(JSON.parse(again.out.stdout).checks.find((c: { id: string }) => c.id === 'scratch.stale').status).toBe('ok');
      expect(await versionListing(stack.oss, 'doc-sigkill')).toEqual(before);
    } finally {
      await stack.close();
    }
  }, 60_000);
});
