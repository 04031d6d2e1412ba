/**
 * The doctor writes nothing unless it knows it can remove what it writes: retention read as absent (or not in
 * force), and the listing cleanup uses working before the first write. Each case checks the bucket's full version
 * listing is identical before and after.
 */
import { command } from '../../src/cli/doctor';
import type { Check, DoctorReport } from '../../src/doctor/report';
import { ossClient } from '../helpers/local-oss';
import { runCli } from '../cli/run-cli';
import { startDoctorStack, versionListing, type DoctorStack } from './harness';

const BUCKETS = ['fc-worm', 'fc-list', 'fc-ro', 'fc-args'];

describe('doctor fails closed', () => {
  let stack: DoctorStack;
  beforeAll(async () => {
    stack = await startDoctorStack(BUCKETS, {});
    for (const b of BUCKETS) await ossClient(stack.oss, b).put('user/keep.txt', Buffer.from('mine'));
  });
  afterAll(async () => stack.close());
  afterEach(() => stack.oss.access.clear());

  async function doctor(bucket: string, args: string[] = [], env: Record<string, string> = {}) {
    const before = await versionListing(stack.oss, bucket);
    const r = await runCli(command, ['--bucket', bucket, '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--json', ...args], { ...stack.cliEnv, SSE_ALGORITHM: 'AES256', ...env });
    stack.oss.access.clear();
    expect(await versionListing(stack.oss, bucket)).toEqual(before);
    const report = JSON.parse(r.stdout) as DoctorReport;
    return { code: r.code, report, byId: (id: string) => report.checks.find((c) => c.id === id) as Check };
  }

  test('retention in force but GetBucketWorm denied: nothing is written, every write check says retention unknown', async () => {
    await stack.oss.protection.initiateWorm('fc-worm', 1);
    stack.oss.access.deny({ action: 'oss:GetBucketWorm', accessKeyId: stack.oss.accessKeyId });
    const { code, report, byId } = await doctor('fc-worm');
    expect(byId('bucket.retention').status).toBe('fail');
    expect(byId('bucket.retention').details!.join('\n')).toMatch(/retention unknown/);
    expect(byId('probe.core')).toMatchObject({ status: 'skip' });
    expect(byId('probe.core').found).toMatch(/retention unknown/);
    expect(report.cleanup).toEqual({ removedVersions: 0, leftBehind: [] });
    expect(code).toBe(1);
  });
});

describe('doctor checks its cleanup path before writing', () => {
  let stack: DoctorStack;
  beforeAll(async () => {
    stack = await startDoctorStack(['fc-list', 'fc-ro'], {});
    for (const b of ['fc-list', 'fc-ro']) await ossClient(stack.oss, b).put('user/keep.txt', Buffer.from('mine'));
  });
  afterAll(async () => stack.close());
  afterEach(() => stack.oss.access.clear());

  const run = async (bucket: string, args: string[]) => {
    const before = await versionListing(stack.oss, bucket);
    stack.oss.access.deny({ action: 'oss:ListObjectVersions', accessKeyId: stack.oss.accessKeyId });
    const r = await runCli(command, ['--bucket', bucket, '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, ...args], { ...stack.cliEnv, SSE_ALGORITHM: 'AES256' });
    stack.oss.access.clear();
    expect(await versionListing(stack.oss, bucket)).toEqual(before);
    return r;
  };

  test('ListObjectVersions denied: nothing is written, the report says why and names the action', async () => {
    const r = await run('fc-list', ['--json']);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const byId = (id: string) => report.checks.find((c) => c.id === id) as Check;
    expect(byId('scratch.list')).toMatchObject({ status: 'fail', fix: expect.stringContaining('oss:ListObjectVersions') });
    expect(byId('probe.core')).toMatchObject({ status: 'skip', found: expect.stringMatching(/scratch prefix cannot be listed/) });
    expect(report.cleanup).toEqual({ removedVersions: 0, leftBehind: [] });
    expect(r.code).toBe(1);
  });

  test('--no-write by a user who may not list versions: no cleanup, no LEFT BEHIND, exit 0', async () => {
    const r = await run('fc-ro', ['--no-write']);
    expect(r.stdout).not.toMatch(/LEFT BEHIND|by hand/);
    expect(r.code).toBe(0);
  });

  test('keys refused: no cleanup attempted, no LEFT BEHIND', async () => {
    const r = await runCli(command, ['--bucket', 'fc-ro', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint], { ...stack.cliEnv, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong', SSE_ALGORITHM: 'AES256' });
    expect(r.stdout).toMatch(/OSS refused these keys/);
    expect(r.stdout).not.toMatch(/LEFT BEHIND|by hand/);
    expect(r.code).toBe(1);
  });
});
