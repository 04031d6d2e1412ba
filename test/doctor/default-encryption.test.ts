/**
 * Bucket default encryption encrypts every upload, so an encrypted scratch object proves nothing about the trigger
 * or the role: a trigger that never fires must not pass delivery, and the role is "not provable here".
 */
import { command } from '../../src/cli/doctor';
import type { Check, DoctorReport } from '../../src/doctor/report';
import { ossClient } from '../helpers/local-oss';
import { runCli } from '../cli/run-cli';
import { startDoctorStack, versionListing, type DoctorStack } from './harness';

describe('doctor on a bucket with default encryption', () => {
  let stack: DoctorStack;
  beforeAll(async () => {
    stack = await startDoctorStack(['de-silent'], { 'fn-silent': { bucket: 'de-silent', env: { SSE_ALGORITHM: 'AES256' }, fires: false } });
    await ossClient(stack.oss, 'de-silent').putBucketEncryption('de-silent', { SSEAlgorithm: 'AES256' } as never);
  });
  afterAll(async () => stack.close());

  test('a trigger that never fires: delivery and role are ! not provable, never ✔', async () => {
    const before = await versionListing(stack.oss, 'de-silent');
    const r = await runCli(command, ['--bucket', 'de-silent', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--fc-endpoint', stack.fc.endpoint,
      '--function', 'fn-silent', '--wait', '2', '--poll-ms', '50', '--json'], { ...stack.cliEnv, SSE_ALGORITHM: 'AES256' });
    const report = JSON.parse(r.stdout) as DoctorReport;
    const byId = (id: string) => report.checks.find((c) => c.id === id) as Check;
    expect(byId('delivery')).toMatchObject({ status: 'warn', found: expect.stringMatching(/^not provable here: bucket default encryption encrypts at upload/) });
    expect(byId('evidence.event-key').status).toBe('skip');
    expect(byId('function.role')).toMatchObject({ status: 'warn', found: expect.stringMatching(/^not provable here: bucket default encryption encrypts at upload/) });
    expect(await versionListing(stack.oss, 'de-silent')).toEqual(before);
  });

  test('the probe says the core was not exercised, neither ✔ nor ✗, and credits nothing to a trigger', async () => {
    for (const sse of ['AES256', 'KMS']) {
      const r = await runCli(command, ['--bucket', 'de-silent', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--json'], { ...stack.cliEnv, SSE_ALGORITHM: sse });
      const core = (JSON.parse(r.stdout) as DoctorReport).checks.find((c) => c.id === 'probe.core')!;
      expect(core).toMatchObject({ status: 'warn', found: expect.stringMatching(/^the core was not exercised \(bucket default encryption\)/) });
      expect(core.found).not.toMatch(/trigger/);
    }
  });
});

describe('the probe claims only what it wrote', () => {
  let stack: DoctorStack;
  beforeAll(async () => { stack = await startDoctorStack(['de-clean'], {}); });
  afterAll(async () => stack.close());

  test('no claim about non-UTF-8 metadata bytes (ali-oss cannot send them)', async () => {
    const r = await runCli(command, ['--bucket', 'de-clean', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--json'], { ...stack.cliEnv, SSE_ALGORITHM: 'AES256' });
    const core = (JSON.parse(r.stdout) as DoctorReport).checks.find((c) => c.id === 'probe.core')!;
    expect(core.status).toBe('ok');
    expect(core.found).toMatch(/x-oss-meta-\* \(ASCII and UTF-8\)/);
    expect(core.found).not.toMatch(/non-UTF-8/);
  });
});
