/**
 * What a killed run (SIGKILL, a lost network) left is found by the next run: reported, and with --remove-stale
 * removed, including the delivery object that run recorded under its own prefix.
 */
import { command } from '../../src/cli/doctor';
import type { Check, DoctorReport } from '../../src/doctor/report';
import { ossClient } from '../helpers/local-oss';
import { runCli } from '../cli/run-cli';
import { startDoctorStack, versionListing, type DoctorStack } from './harness';

describe('doctor and earlier runs\' leftovers', () => {
  let stack: DoctorStack;
  beforeAll(async () => { stack = await startDoctorStack(['doc-stale'], {}); });
  afterAll(async () => stack.close());

  it('reports them, and removes them (and the recorded delivery object) with --remove-stale', async () => {
    const c = ossClient(stack.oss, 'doc-stale');
    await c.put('uploads/mine.txt', Buffer.from('mine'));
    const clean = await versionListing(stack.oss, 'doc-stale');
    const old = '.oss-auto-encrypt-doctor/20260101T000000-abcdef/';
    const delivery = 'uploads/oss-auto-encrypt-doctor-20260101T000000-abcdef-delivery';
    await c.put(`${old}probe a b.txt`, Buffer.from('left'));
    await c.put(delivery, Buffer.from('left'));
    await c.put(`${old}delivery-keys.txt`, Buffer.from(`${delivery}\n`));
    const withStale = await versionListing(stack.oss, 'doc-stale');
    const run = async (args: string[]) => {
      const r = await runCli(command, ['--bucket', 'doc-stale', '--region', 'cn-hangzhou', '--endpoint', stack.oss.endpoint, '--json', ...args], { ...stack.cliEnv, SSE_ALGORITHM: 'AES256' });
      return (JSON.parse(r.stdout) as DoctorReport).checks.find((x) => x.id === 'scratch.stale') as Check;
    };
    expect(await run([])).toMatchObject({ status: 'warn', found: expect.stringMatching(/^2 object version\(s\) and 0 upload\(s\) left by 1 earlier doctor run/), details: ['20260101T000000-abcdef'] });
    expect(await versionListing(stack.oss, 'doc-stale')).toEqual(withStale);
    expect(await run(['--remove-stale'])).toMatchObject({ status: 'ok', found: expect.stringMatching(/removed 3 version\(s\) \(--remove-stale\)$/) });
    expect(await versionListing(stack.oss, 'doc-stale')).toEqual(clean);
    expect(await run([])).toBeUndefined();
  });
});
