/**
 * `invoke` end to end, offline: the CLI → @alicloud/fc2 → the local FC endpoint (path, headers and
 * signature checked) → the real handler → the local OSS.
 */
import OSS from 'ali-oss';
import { join } from 'node:path';
import { command } from '../../src/cli/invoke';
import { createHandler } from '../../src/function/create-handler';
import { createLogger } from '../../src/log';
import { DEFAULT_EVENTS_DIR } from '../../src/local-run/event-files';
import { seedObject } from '../../src/local-run/seed';
import { loadEventFile } from '../../src/local-run/event-files';
import { startLocalOss, type LocalOss } from '../../src/local-oss';
import { startLocalFc, type LocalFc } from '../helpers/local-fc';
import { runCli } from './run-cli';

const ACCOUNT = '1380146721985421';
const AK = 'LTAI5tInvokeCliTest';
const SECRET = 'invoke-cli-test-secret';
const PUT = join(DEFAULT_EVENTS_DIR, 'put-object.json');

describe('oss-auto-encrypt invoke (against the local FC endpoint running the real handler)', () => {
  let oss: LocalOss;
  let fc: LocalFc;
  let client: OSS;
  let env: Record<string, string>;

  beforeAll(async () => {
    oss = await startLocalOss({ buckets: ['my-bucket'], accountId: ACCOUNT });
    client = new OSS({ endpoint: oss.endpoint, region: `oss-${oss.region}`, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, bucket: 'my-bucket' });
    // The function's pino lines go to the invocation's log, as stdout does on FC.
    let logStream: { write(s: string): void } = { write: () => undefined };
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => logStream.write(s) } });
    const fns = {
      'oss-auto-encrypt': createHandler({ env: { OSS_ENDPOINT: oss.endpoint, SSE_ALGORITHM: 'AES256' }, logger }),
      // Same code, a policy that refuses this bucket: every object fails, so the handler throws.
      'strict-fn': createHandler({ env: { OSS_ENDPOINT: oss.endpoint, ALLOWED_BUCKETS: 'only-this-bucket' }, logger }),
    };
    fc = await startLocalFc({
      accountId: ACCOUNT, accessKeyId: AK, accessKeySecret: SECRET, region: oss.region, functions: Object.keys(fns),
      maxAsyncRetryAttempts: 0,
      credentials: () => oss.issueStsCredentials(),
      handler: (event, ctx) => fns[ctx.function.name as keyof typeof fns].handler(event, { requestId: ctx.requestId, region: ctx.region, accountId: ctx.accountId, ...(ctx.credentials ? { credentials: ctx.credentials } : {}), function: { name: ctx.function.name } }),
    });
    logStream = fc.logStream;
    env = { ALIBABA_CLOUD_ACCESS_KEY_ID: AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET, ALIBABA_CLOUD_ACCOUNT_ID: ACCOUNT };
  });
  afterAll(async () => { await fc.close(); await oss.close(); });
  beforeEach(async () => {
    fc.invocations.length = 0;
    await seedObject(client, (await loadEventFile(PUT)).refs[0]!);
  });

  const encryption = async (key: string) => (await client.head(key)).res.headers as Record<string, string | undefined>;

  test('sync (FC 3.0 path): prints the summary and the decoded log tail; the object is encrypted', async () => {
    const r = await runCli(command, ['--function', 'oss-auto-encrypt', '--endpoint', fc.endpoint, PUT], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fc.invocations).toEqual([expect.objectContaining({ apiVersion: '2023-03-30', functionName: 'oss-auto-encrypt', async: false })]);
    const requestId = fc.invocations[0]!.requestId;
    expect(r.stdout).toContain(`== events/put-object.json → oss-auto-encrypt  (sync; request ${requestId})`);
    expect(r.stdout).toMatch(/result:\n {2}\{\n[\s\S]*"encrypted": 1,[\s\S]*"outcome": "encrypted"/);
    expect(r.stdout).toMatch(new RegExp(`log tail:\\n  FC Invoke Start RequestId: ${requestId}\\n[\\s\\S]*"msg":"invocation summary"[\\s\\S]*FC Invoke End RequestId: ${requestId}`));
    expect((await encryption('uploads/reports/2026-q3-summary.pdf'))['x-oss-server-side-encryption']).toBe('AES256');
    // The event bytes reached the function unchanged.
    expect(fc.invocations[0]!.event.toString()).toBe((await loadEventFile(PUT)).raw.toString());
  });

  test('FC 2.0 --service/--qualifier addressing', async () => {
    const r = await runCli(command, ['--function', 'oss-auto-encrypt', '--service', 'oss-sse', '--qualifier', 'prod', '--endpoint', fc.endpoint, PUT], env);
    expect(r.code).toBe(0);
    expect(fc.invocations[0]!.path).toBe('/2016-08-15/services/oss-sse.prod/functions/oss-auto-encrypt/invocations');
  });

  test('--async: accepted at once; the function runs afterwards', async () => {
    const r = await runCli(command, ['--function', 'oss-auto-encrypt', '--async', '--endpoint', fc.endpoint, PUT], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(async, accepted; request 1-[0-9a-f-]+\)/);
    expect(r.stdout).not.toMatch(/result:|log tail:/);
    expect(fc.invocations[0]!.async).toBe(true);
    await fc.idle();
    expect((await encryption('uploads/reports/2026-q3-summary.pdf'))['x-oss-server-side-encryption']).toBe('AES256');
  });

  test('function error (x-fc-error-type) → exit 1 with the error and the log tail', async () => {
    const r = await runCli(command, ['--function', 'strict-fn', '--endpoint', fc.endpoint, PUT], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FUNCTION ERROR \(UnhandledInvocationError\) InvocationFailedError: 1 of 1 objects failed: oss:\/\/my-bucket\/uploads\/reports\/2026-q3-summary\.pdf \(BUCKET_NOT_ALLOWED\)/);
    expect(r.stdout).toMatch(/log tail:[\s\S]*FC Invoke End/);
  });

  test('--json prints one result line per file', async () => {
    const r = await runCli(command, ['--json', '--function', 'oss-auto-encrypt', '--endpoint', fc.endpoint, PUT, join(DEFAULT_EVENTS_DIR, 'append-object.json')], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; status: number; payload: string; logTail?: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ file: PUT, status: 200 });
    expect(JSON.parse(lines[0]!.payload)).toMatchObject({ total: 1 });
  });

  describe('bad input and rejected requests: one line, non-zero', () => {
    test('wrong secret → the local FC rejects the signature → 1', async () => {
      const r = await runCli(command, ['--function', 'oss-auto-encrypt', '--endpoint', fc.endpoint, PUT], { ...env, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^oss-auto-encrypt invoke: Function Compute rejected the invocation \(SignatureNotMatch\).*ALIBABA_CLOUD_ACCESS_KEY_SECRET.*\[FC_SignatureNotMatch\]\n$/);
      expect(fc.invocations).toHaveLength(0);
    });

    test('unknown function → 1', async () => {
      const r = await runCli(command, ['--function', 'nope', '--endpoint', fc.endpoint, PUT], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/FunctionNotFound/);
    });

    test('unreachable endpoint → 1', async () => {
      const r = await runCli(command, ['--function', 'oss-auto-encrypt', '--endpoint', 'http://127.0.0.1:1', PUT], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^oss-auto-encrypt invoke: Cannot reach Function Compute at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)\. Check --endpoint.*\[FC_UNREACHABLE\]\n$/);
    });

    test.each([
      [['--endpoint', 'http://x'], {}, /--function NAME is required/],
      [['--function', 'f'], { ALIBABA_CLOUD_ACCESS_KEY_ID: undefined }, /no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID/],
      [['--function', 'f'], { ALIBABA_CLOUD_ACCOUNT_ID: undefined }, /--account-id ID \(or ALIBABA_CLOUD_ACCOUNT_ID\) is required/],
      [['--function', 'f', '--nope'], {}, /Unknown option '--nope'/],
      [['--function', 'f', '/no/such/event.json'], {}, /\/no\/such\/event\.json: cannot read the event file/],
      [['--function', 'f', '--region', 'Hangzhou'], {}, /region "Hangzhou" must look like cn-hangzhou/],
    ])('%j → 2', async (argv, extraEnv, message) => {
      const r = await runCli(command, argv, { ...env, ...extraEnv });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  });
});
