/**
 * Issue 15 item 13: `invoke` waits as long as the function may run (--timeout, else the deployed TIMEOUT + a margin),
 * and a synchronous call that outlives the wait is reported as a timeout, not as "Cannot reach Function Compute".
 * The local FC endpoint holds the invocation (no sleeps): the CLI gives up while the function is still running.
 */
import { invokeTimeoutMs } from '../../src/cli/invoke';
import { startLocalFc, type LocalFc } from '../helpers/local-fc';
import { spawnCli } from './run-cli';

const ACCOUNT = '1380146721985421';
const AK = 'LTAI5tInvokeTimeout';
const SECRET = 'invoke-timeout-secret';

describe('invoke: a long synchronous call', () => {
  let fc: LocalFc;
  let release: () => void = () => undefined;
  let running = 0;
  let finished = 0;
  beforeAll(async () => {
    fc = await startLocalFc({
      accountId: ACCOUNT, accessKeyId: AK, accessKeySecret: SECRET,
      handler: async () => {
        running++;
        await new Promise<void>((r) => { release = r; });
        finished++;
        return { ok: true };
      },
    });
  });
  afterAll(async () => { release(); await fc.close(); });

  test('outliving --timeout: one line that says timed out and that the function may still run; exit 1', async () => {
    const run = spawnCli(['invoke', '--function', 'long-fn', '--endpoint', fc.endpoint, '--timeout', '2', 'events/put-object.json'],
      { ALIBABA_CLOUD_ACCESS_KEY_ID: AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET, ALIBABA_CLOUD_ACCOUNT_ID: ACCOUNT });
    const { code } = await run.exited;
    // The CLI gave up while the function was still running (it is released only now).
    expect(running).toBe(1);
    expect(finished).toBe(0);
    release();
    expect(run.stderr()).toMatch(new RegExp(`^oss-auto-encrypt invoke: Timed out: no answer from Function Compute at ${fc.endpoint.replace(/\./g, '\\.')} within 2 s \\(--timeout\\)\\. A synchronous invocation is not cancelled by this: the function may still be running.*\\[FC_TIMEOUT\\]\\n$`));
    expect(run.stderr()).not.toMatch(/Cannot reach/);
    expect(code).toBe(1);
  });

  test('--timeout must be whole seconds: one line, exit 2', async () => {
    const run = spawnCli(['invoke', '--function', 'long-fn', '--endpoint', fc.endpoint, '--timeout', '2m', 'events/put-object.json'],
      { ALIBABA_CLOUD_ACCESS_KEY_ID: AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET, ALIBABA_CLOUD_ACCOUNT_ID: ACCOUNT });
    const { code } = await run.exited;
    expect(run.stderr()).toMatch(/--timeout must be an integer from 1 to 86430, got "2m"/);
    expect(code).toBe(2);
  });
});

describe('invokeTimeoutMs: the default follows the function timeout s.yaml deploys', () => {
  it('is TIMEOUT (s.yaml default 900 s) plus 30 s for FC itself, or --timeout', () => {
    expect(invokeTimeoutMs(undefined, {})).toBe(930_000);
    expect(invokeTimeoutMs(undefined, { TIMEOUT: '3600' })).toBe(3_630_000);
    expect(invokeTimeoutMs('45', { TIMEOUT: '3600' })).toBe(45_000);
    expect(() => invokeTimeoutMs(undefined, { TIMEOUT: '15m' })).toThrow(/TIMEOUT="15m" \(the function's timeout s\.yaml deploys\) must be whole seconds/);
  });
});
