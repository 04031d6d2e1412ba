/**
 * `oss-auto-encrypt doctor` end to end against the local OSS and the local FC endpoint (real ali-oss and fc2
 * clients, real signatures, the real handler as the deployed function): a clean bucket gives no ✗ and no !, each
 * failure mode gives its ✗ with its fix, and the bucket's full version listing is identical before and after every run.
 */
import { command } from '../../src/cli/doctor';
import type { Check, DoctorReport } from '../../src/doctor/report';
import { ossClient } from '../helpers/local-oss';
import { runCli } from '../cli/run-cli';
import { startDoctorStack, versionListing, type DoctorStack } from './harness';

const BUCKETS = ['doc-clean', 'doc-versioned', 'doc-kms', 'doc-env', 'doc-other', 'doc-silent', 'doc-nowrite', 'doc-protect', 'doc-worm', 'doc-all', 'doc-encoded'];

describe('oss-auto-encrypt doctor', () => {
  let stack: DoctorStack;

  beforeAll(async () => {
    stack = await startDoctorStack(BUCKETS, {
      'fn-clean': { bucket: 'doc-clean', env: { SSE_ALGORITHM: 'AES256' } },
      'fn-env': { bucket: 'doc-env', env: { SSE_ALGORITHM: 'SM4', PRESERVE_ACL: 'false' } },
      'fn-other': { bucket: 'doc-other', env: { SSE_ALGORITHM: 'AES256' }, triggerBucket: 'some-other-bucket' },
      'fn-silent': { bucket: 'doc-silent', env: { SSE_ALGORITHM: 'AES256' }, fires: false },
      'fn-all': { bucket: 'doc-all', env: { SSE_ALGORITHM: 'AES256' }, prefix: '' },
      'fn-encoded': { bucket: 'doc-encoded', env: { SSE_ALGORITHM: 'AES256' }, encodeEventKeys: true },
    }, [{ id: 'key-ok' }, { id: 'key-off', state: 'Disabled' }]);
    // Something of the user's in every bucket, so "identical listing" is not trivially two empty lists.
    for (const b of BUCKETS) {
      const c = ossClient(stack.oss, b);
      await c.put('user/keep.txt', Buffer.from('mine'));
    }
    await ossClient(stack.oss, 'doc-versioned').putBucketVersioning('doc-versioned', 'Enabled');
    await ossClient(stack.oss, 'doc-versioned').put('user/keep.txt', Buffer.from('mine v2'));
  });
  afterAll(async () => stack.close());

  /** Runs doctor --json on a bucket and proves the bucket's version listing is unchanged. */
  async function doctor(bucket: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; report: DoctorReport & { exitCode: number }; stderr: string; byId: (id: string) => Check }> {
    const before = await versionListing(stack.oss, bucket);
    const r = await runCli(command, ['--bucket', bucket, '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--json', ...args, ...(args.includes('--function') ? ['--fc-endpoint', stack.fc.endpoint] : [])], { ...stack.cliEnv, ...env });
    await stack.oss.notifications.idle();
    expect(await versionListing(stack.oss, bucket)).toEqual(before);
    if (!r.stdout) throw new Error(`no report; stderr: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as DoctorReport & { exitCode: number };
    expect(report.cleanup.leftBehind).toEqual([]);
    const byId = (id: string) => {
      const c = report.checks.find((x) => x.id === id);
      if (!c) throw new Error(`no check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
      return c;
    };
    return { code: r.code, report, stderr: r.stderr, byId };
  }
  const problems = (report: DoctorReport) => report.checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => `${c.id}: ${c.found}`);

  test('a clean bucket and a correctly deployed function: nothing ✗ or !, exit 0, the trigger encrypted the delivery object', async () => {
    const { code, report, byId } = await doctor('doc-clean', ['--function', 'fn-clean', '--wait', '20', '--poll-ms', '50'], { SSE_ALGORITHM: 'AES256' });
    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    expect(byId('credentials').found).toBe('the keys work; account 1380146721985421');
    expect(byId('probe.core').status).toBe('ok');
    expect(byId('function.role').status).toBe('ok');
    expect(byId('delivery').found).toMatch(/^the trigger fired and the function encrypted oss:\/\/doc-clean\/uploads\/oss-auto-encrypt-doctor-[\w-]+-delivery \(AES256\) within \d+ s$/);
    expect(byId('evidence.event-key').found).toMatch(/^verbatim: the event named "oss-auto-encrypt-doctor [\w-]+ 检查" \(space, CJK\) exactly as stored$/);
    expect(byId('evidence.tags').found).toBe('kept (2 of 2 tags)');
    expect(byId('evidence.fc2').status).toBe('ok');
    expect(report.cleanup.removedVersions).toBeGreaterThanOrEqual(7);
  });

  test('a trigger on the whole bucket (it also rewrites the scratch objects, racing the probe): still nothing ✗ or !', async () => {
    const { code, report, byId } = await doctor('doc-all', ['--function', 'fn-all', '--wait', '20', '--poll-ms', '50'], { SSE_ALGORITHM: 'AES256' });
    expect(problems(report)).toEqual([]);
    expect(byId('probe.core').found).toMatch(/^4\/4 scratch objects encrypted with AES256/);
    expect(byId('delivery').found).toMatch(/^the trigger fired and the function encrypted oss:\/\/doc-all\/oss-auto-encrypt-doctor-/);
    expect(code).toBe(0);
  });

  test('event keys delivered URL-encoded: observed as such (the function still encrypts by decoding); nothing ✗', async () => {
    const { code, report, byId } = await doctor('doc-encoded', ['--function', 'fn-encoded', '--wait', '20', '--poll-ms', '50'], { SSE_ALGORITHM: 'AES256' });
    expect(problems(report)).toEqual([]);
    expect(byId('delivery').status).toBe('ok');
    expect(byId('evidence.event-key').found).toMatch(/^URL-encoded \(or late\): the object named with a space and CJK stayed plaintext while its 3 URL-encoded namesakes existed/);
    expect(code).toBe(0);
  });

  test('wrong region: ✗ Region with the bucket\'s region in the fix', async () => {
    const { code, byId } = await doctor('doc-clean', [], {});
    expect(code).toBe(0); // sanity: the same bucket is fine in its own region
    const r = await runCli(command, ['--bucket', 'doc-clean', '--region', 'cn-shanghai', '--endpoint', stack.oss.endpoint, '--json'], stack.cliEnv);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const region = report.checks.find((c) => c.id === 'bucket.region')!;
    expect(region).toMatchObject({ status: 'fail', found: 'the bucket is in cn-hangzhou, not cn-shanghai' });
    expect(region.fix).toMatch(/^run with --region cn-hangzhou and deploy the function in cn-hangzhou/);
    expect(r.code).toBe(1);
    void byId;
  });

  test('missing bucket: ✗ Bucket with how to create it, nothing else attempted on it', async () => {
    const r = await runCli(command, ['--bucket', 'doc-missing', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--json'], stack.cliEnv);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.checks.find((c) => c.id === 'bucket.exists')).toMatchObject({ status: 'fail', fix: 'check --bucket and --region, or create it: ossutil mb oss://doc-missing --region cn-hangzhou' });
    expect(report.checks.find((c) => c.id === 'bucket.versioning')!.status).toBe('skip');
    expect(r.code).toBe(1);
  });

  test('versioning on with VERSIONED_PLAINTEXT=keep: ✗ with the fix; every scratch version removed', async () => {
    const { code, byId } = await doctor('doc-versioned', []);
    expect(byId('bucket.versioning')).toMatchObject({ status: 'fail' });
    expect(byId('bucket.versioning').fix).toMatch(/^set VERSIONED_PLAINTEXT=delete/);
    expect(byId('probe.core').status).toBe('ok');
    expect(code).toBe(1);
    const ok = await doctor('doc-versioned', [], { VERSIONED_PLAINTEXT: 'delete' });
    expect(ok.byId('bucket.versioning').status).toBe('ok');
  });

  test('PRESERVE_ACL=false: the probe shows each object\'s ACL lost (private → default) and says which variable does it', async () => {
    const { code, byId } = await doctor('doc-nowrite', [], { PRESERVE_ACL: 'false' });
    expect(byId('probe.core')).toMatchObject({ status: 'fail', found: 'the rewrite changed fields it must keep', fix: 'PRESERVE_ACL=false resets every rewritten object\'s ACL to "default"; set PRESERVE_ACL=true' });
    expect(byId('probe.core').details).toHaveLength(4);
    expect(byId('probe.core').details![0]).toMatch(/probe a b\.txt: acl: "private" → "default"$/);
    expect(code).toBe(1);
  });

  test('a disabled KMS key: ✗ KMS key "enable the key"; an enabled one is ✔', async () => {
    const bad = await doctor('doc-kms', [], { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-off' });
    expect(bad.byId('policy.kms')).toMatchObject({ status: 'fail' });
    expect(bad.byId('policy.kms').found).toBe('key-off: KeyDisabled (HTTP 409)');
    expect(bad.byId('policy.kms').fix).toMatch(/^enable the key/);
    expect(bad.byId('probe.core').status).toBe('fail');
    expect(bad.code).toBe(1);
    const good = await doctor('doc-kms', [], { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-ok' });
    expect(good.byId('policy.kms')).toMatchObject({ status: 'ok', found: 'key-ok: enabled and usable for doc-kms in cn-hangzhou' });
    expect(good.byId('probe.core').status).toBe('ok');
  });

  test('overwrite protection: ✗ naming the rule and the fix; the probe meets the same refusal', async () => {
    await stack.oss.protection.putOverwriteConfig('doc-protect', [{ id: 'no-overwrite', action: 'forbid', prefix: '' }]);
    const { code, byId } = await doctor('doc-protect', []);
    expect(byId('bucket.overwrite')).toMatchObject({ status: 'fail', found: '1 rule(s) forbid overwriting objects: the in-place rewrite of matching objects fails', details: ['rule no-overwrite: forbids overwriting *'] });
    expect(byId('bucket.overwrite').fix).toMatch(/^add the function's role as a Principal of each rule/);
    expect(byId('probe.core').fix).toBe('the function leaves such objects unencrypted (skipped: write-protected); lift the protection named above for the function\'s role');
    expect(byId('probe.core')).toMatchObject({ status: 'fail', found: '4/4 scratch objects not encrypted' });
    expect(byId('probe.core').details).toEqual([expect.stringMatching(/^4 objects, e.g. probe a b\.txt: OSS_FileAlreadyExists: CopyObject failed: FileAlreadyExists \(HTTP 409\): /)]);
    expect(code).toBe(1);
  });

  test('retention (WORM): ✗ with the fix, and nothing written (scratch objects could not be deleted)', async () => {
    await stack.oss.protection.initiateWorm('doc-worm', 1);
    stack.oss.requestLog.clear();
    const { code, byId } = await doctor('doc-worm', []);
    expect(byId('bucket.retention')).toMatchObject({ status: 'fail', found: 'a retention policy (InProgress, 1 day(s)) makes every object immutable: the in-place rewrite fails with FileImmutable' });
    expect(byId('bucket.retention').fix).toMatch(/^the function cannot encrypt objects under retention; use bucket default encryption/);
    expect(byId('probe.core')).toMatchObject({ status: 'skip' });
    expect(stack.oss.requestLog.entries().filter((e) => e.method === 'PUT' || e.method === 'POST')).toEqual([]);
    expect(code).toBe(1);
  });

  test('a function whose environment differs: ✗ with each differing variable', async () => {
    const { code, byId } = await doctor('doc-env', ['--function', 'fn-env', '--wait', '5', '--poll-ms', '50'], { SSE_ALGORITHM: 'AES256' });
    expect(byId('function.env')).toMatchObject({ status: 'fail', details: ['SSE_ALGORITHM / SSE_KMS_KEY_ID / SSE_KMS_DATA_ENCRYPTION: deployed SM4, here AES256', 'PRESERVE_ACL: deployed false, here true'] });
    expect(byId('function.exists').status).toBe('ok');
    expect(code).toBe(1);
  });

  test('a function that does not exist: ✗ with how to deploy it; nothing else about it attempted', async () => {
    const { code, byId, report } = await doctor('doc-other', ['--function', 'fn-nope']);
    expect(byId('function.exists')).toMatchObject({ status: 'fail', fix: 'deploy it (npx s deploy -y), or check --function, --region and --account-id' });
    expect(byId('function.exists').found).toMatch(/FunctionNotFound/);
    expect(report.checks.filter((c) => c.group === 'function' || c.group === 'delivery').map((c) => c.id)).toEqual(['function.exists']);
    expect(code).toBe(1);
  });

  test('a trigger on another bucket: ✗ OSS trigger naming it; delivery not attempted', async () => {
    const { code, byId } = await doctor('doc-other', ['--function', 'fn-other'], {});
    expect(byId('function.trigger')).toMatchObject({ status: 'fail', found: 'no OSS trigger on oss://doc-other; found oss-object-created → acs:oss:cn-hangzhou:1380146721985421:some-other-bucket' });
    expect(byId('function.trigger').fix).toMatch(/^deploy with OSS_BUCKET=doc-other REGION=cn-hangzhou/);
    expect(byId('delivery').status).toBe('skip');
    expect(code).toBe(1);
  });

  test('a trigger that never fires: ✗ Trigger delivery after the (short) wait, with the fix; the countdown on stderr', async () => {
    const { code, byId, stderr } = await doctor('doc-silent', ['--function', 'fn-silent', '--wait', '1', '--poll-ms', '50'], {});
    expect(byId('function.role').status).toBe('ok'); // the function itself works when invoked directly
    expect(byId('delivery')).toMatchObject({ status: 'fail', found: 'no encryption within 1 s: the event did not arrive, or the function failed on it' });
    expect(byId('delivery').fix).toMatch(/^check that trigger oss-object-created is enabled/);
    expect(stderr).toMatch(/waiting for the trigger to encrypt uploads\/oss-auto-encrypt-doctor-[\w-]+-delivery: 1 s left/);
    expect(code).toBe(1);
  });

  test('--no-write: read-only (no PUT, no invocation), exit 0', async () => {
    stack.oss.requestLog.clear();
    const { code, report } = await doctor('doc-nowrite', ['--no-write'], {});
    expect(code).toBe(0);
    expect(stack.oss.requestLog.entries().filter((e) => e.method !== 'GET' && e.method !== 'HEAD')).toEqual([]);
    expect(report.checks.find((c) => c.id === 'probe.core')!.status).toBe('skip');
  });

  test('text output: one line per check with ✔ / ✗ / ! / – and fix lines', async () => {
    const r = await runCli(command, ['--bucket', 'doc-versioned', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint], stack.cliEnv);
    expect(r.stdout).toMatch(/^oss-auto-encrypt doctor: oss:\/\/doc-versioned in cn-hangzhou/);
    expect(r.stdout).toContain('  ✗ Versioning: enabled with VERSIONED_PLAINTEXT=keep');
    expect(r.stdout).toMatch(/\n {6}fix: set VERSIONED_PLAINTEXT=delete/);
    expect(r.stdout).toMatch(/Scratch objects: \d+ version\(s\) written and removed; nothing left behind\./);
    expect(r.stdout).not.toContain(stack.oss.accessKeySecret);
    expect(r.code).toBe(1);
  });

  test('bad flags: one line, exit 2', async () => {
    const r = await runCli(command, ['--region', 'cn-hangzhou'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('oss-auto-encrypt doctor: --bucket B is required; no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys) [USAGE]\n');
    const leak = await runCli(command, ['--bucket', 'doc-clean', '--region', 'cn-hangzhou', '--endpoint', 'http://ak:secret@127.0.0.1:1'], stack.cliEnv);
    expect(leak.code).toBe(2);
    expect(leak.stderr).toBe('oss-auto-encrypt doctor: --endpoint must not contain credentials (user:password@); use the ALIBABA_CLOUD_* variables [USAGE]\n');
    expect(leak.stdout).toBe('');
  });

  test('a malformed --region and an empty --function are usage errors (exit 2); oss-cn-hangzhou is accepted', async () => {
    const bad = await runCli(command, ['--bucket', 'doc-clean', '--region', 'cn hangzhou!', '--endpoint', stack.oss.endpoint], stack.cliEnv);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('oss-auto-encrypt doctor: --region "cn hangzhou!" is not a region id; give e.g. cn-hangzhou or ap-southeast-1 [USAGE]\n');
    const empty = await runCli(command, ['--bucket', 'doc-clean', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--function', ''], stack.cliEnv);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^oss-auto-encrypt doctor: --function needs the deployed function's name/);
    expect(empty.stdout).toBe('');
    const prefixed = await runCli(command, ['--bucket', 'doc-clean', '--region', 'oss-cn-hangzhou', '--endpoint', stack.oss.endpoint, '--no-write', '--json'], stack.cliEnv);
    expect(JSON.parse(prefixed.stdout).region).toBe('cn-hangzhou');
  });
});
