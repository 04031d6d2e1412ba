/**
 * Issue 15 item 15: bad input to the tools is one clear line and exit 2, never a stack trace. Each case runs the
 * real CLI in a child process, as a user does.
 */
import { createServer, type Server } from 'node:net';
import { startTestOss } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { spawnCli } from './run-cli';

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe('backfill: LOG_LEVEL is validated like every other variable', () => {
  let oss: LocalOss;
  let env: Record<string, string>;
  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['loglevel-bucket'] });
    env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret };
  });
  afterAll(async () => oss.close());
  const args = () => ['backfill', '--bucket', 'loglevel-bucket', '--region', oss.region, '--endpoint', oss.endpoint];

  it('an invalid LOG_LEVEL: one line naming it and the accepted values, exit 2, nothing listed', async () => {
    oss.requestLog.clear();
    const run = spawnCli(args(), { ...env, LOG_LEVEL: 'verbose' });
    const { code } = await run.exited;
    // Worded for a local run: the variables are this shell's, there is nothing to redeploy.
    expect(run.stderr()).toMatch(/^oss-auto-encrypt backfill: Invalid configuration \(fix these environment variables and run again\): - LOG_LEVEL="verbose" is not valid; accepted values: fatal \| error \| warn \| info \| debug \| trace \| silent.*\[CONFIG_INVALID\]\n$/);
    expect(run.stderr()).not.toMatch(/redeploy|function configuration/);
    noStack(run.stderr());
    expect(code).toBe(2);
    expect(oss.requestLog.entries()).toHaveLength(0);
  });

  it('an empty LOG_LEVEL counts as unset, as in the function: the run works', async () => {
    const run = spawnCli(args(), { ...env, LOG_LEVEL: '' });
    const { code } = await run.exited;
    noStack(run.stderr());
    expect(code).toBe(0);
  });
});

describe('local-oss: bad flags and a busy port', () => {
  it('an invalid --bucket: one line, exit 2', async () => {
    const run = spawnCli(['local-oss', '--port', '0', '--bucket', 'My_Bucket']);
    const { code } = await run.exited;
    expect(run.stderr()).toBe(`local-oss: --bucket "My_Bucket" is not a valid OSS bucket name (3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit)\n`);
    expect(run.stdout()).toBe('');
    expect(code).toBe(2);
  });

  it('a port in use: one line naming the port, exit 2', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const run = spawnCli(['local-oss', '--port', String(port)]);
      const { code } = await run.exited;
      expect(run.stderr()).toBe(`local-oss: cannot listen on 127.0.0.1:${port}: the port is in use; pick another --port (0 = any free port)\n`);
      expect(run.stdout()).toBe('');
      expect(code).toBe(2);
    } finally {
      busy.close();
    }
  });
});
