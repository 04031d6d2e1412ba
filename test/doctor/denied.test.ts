/**
 * A denied action, as a RAM policy without that permission gives it: the local OSS answers 403 AccessDenied for
 * chosen actions and credentials. Denied to the user running doctor, the check that needs it is ✗ naming the RAM
 * action; denied to the function's role, the synchronous invocation proves it (✗ with the action to grant) and the
 * trigger's own attempt fails too. The bucket's version listing is identical before and after.
 */
import { command } from '../../src/cli/doctor';
import type { Check, DoctorReport } from '../../src/doctor/report';
import { ossClient } from '../helpers/local-oss';
import { runCli } from '../cli/run-cli';
import { startDoctorStack, versionListing, type DoctorStack } from './harness';

describe('doctor with a denied action', () => {
  let stack: DoctorStack;
  beforeAll(async () => {
    stack = await startDoctorStack(['doc-denied'], { 'fn-denied': { bucket: 'doc-denied', env: { SSE_ALGORITHM: 'AES256' } } });
    await ossClient(stack.oss, 'doc-denied').put('user/keep.txt', Buffer.from('mine'));
  });
  afterAll(async () => stack.close());
  afterEach(() => stack.oss.access.clear());

  async function doctor(args: string[]): Promise<{ code: number; byId: (id: string) => Check }> {
    const before = await versionListing(stack.oss, 'doc-denied');
    const r = await runCli(command, ['--bucket', 'doc-denied', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--fc-endpoint', stack.fc.endpoint, '--json', ...args], { ...stack.cliEnv, SSE_ALGORITHM: 'AES256' });
    await stack.oss.notifications.idle();
    expect(await versionListing(stack.oss, 'doc-denied')).toEqual(before);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.cleanup.leftBehind).toEqual([]);
    return { code: r.code, byId: (id) => report.checks.find((c) => c.id === id)! };
  }

  test('oss:GetBucketAcl denied to the user running doctor: ✗ Bucket ACL naming the action', async () => {
    stack.oss.access.deny({ action: 'oss:GetBucketAcl', accessKeyId: stack.oss.accessKeyId });
    const { code, byId } = await doctor([]);
    expect(byId('bucket.acl')).toMatchObject({ status: 'fail', found: 'AccessDenied: these credentials may not call GetBucketAcl', fix: 'grant oss:GetBucketAcl on acs:oss:*:*:doc-denied to the RAM user running doctor (read-only)' });
    expect(byId('probe.core').status).toBe('ok');
    expect(code).toBe(1);
  });

  test('oss:GetObjectAcl denied to the function\'s role: ✗ Function role with the action to grant; the trigger fails too', async () => {
    stack.oss.access.deny({ action: 'oss:GetObjectAcl', accessKeyId: stack.roleAccessKeyId });
    const { code, byId } = await doctor(['--function', 'fn-denied', '--wait', '1', '--poll-ms', '50']);
    expect(byId('probe.core').status).toBe('ok'); // the doctor's own keys may read ACLs
    expect(byId('function.role')).toMatchObject({ status: 'fail', found: 'the function failed on a scratch object (UnhandledInvocationError)' });
    expect(byId('function.role').fix).toBe('grant the function\'s role oss:GetObjectAcl on acs:oss:*:*:doc-denied/* (npx oss-auto-encrypt policy prints the whole policy)');
    expect(byId('function.role').details![0]).toMatch(/^OSS_AccessDenied: GetObjectAcl failed: AccessDenied \(HTTP 403/);
    expect(byId('delivery').status).toBe('fail');
    expect(code).toBe(1);
  });

  test('oss:GetObject denied to the user running doctor: the report survives, and the role and delivery lines blame the doctor user', async () => {
    stack.oss.access.deny({ action: 'oss:GetObject', accessKeyId: stack.oss.accessKeyId });
    const { code, byId } = await doctor(['--function', 'fn-denied', '--wait', '1', '--poll-ms', '50']);
    expect(byId('function.role')).toMatchObject({ status: 'fail', found: expect.stringMatching(/but the user running doctor may not call HeadObject/), fix: 'grant oss:GetObject on acs:oss:*:*:doc-denied/* to the RAM user running doctor' });
    expect(byId('delivery')).toMatchObject({ status: 'fail', found: expect.stringMatching(/the user running doctor may not call HeadObject/) });
    expect(code).toBe(1);
  });
});
