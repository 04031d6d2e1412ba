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
});
